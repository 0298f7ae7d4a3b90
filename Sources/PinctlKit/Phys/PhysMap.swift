/// What keeps a piece of physical memory from moving, worst first: the one a map cell shows
/// is the worst class of any frame in it, since one such frame fails an offline of its block
/// or a contiguous allocation across it (docs/phys-and-files.md, "The map").
public enum MapClass: Int, Codable, Sendable, CaseIterable, Comparable {
    /// No frames were read (a hole, or past the kernel's table), or every frame is offline.
    case none = 0
    /// Free in the buddy allocator.
    case free
    /// In use and movable: on an LRU, page cache or anonymous memory.
    case movable
    /// mlocked: still migrates, never reclaimed.
    case mlocked
    /// hugetlb: migrates only when a free huge page can be had elsewhere.
    case hugetlb
    /// Kernel memory: slab, page tables, reserved, driver-owned, references nothing explains.
    case kernel
    /// DMA-pinned (FOLL_PIN, seen through the KernelHelper module): never migrates.
    case pinned

    public static func < (a: MapClass, b: MapClass) -> Bool { a.rawValue < b.rawValue }

    /// "free", "pinned", ...: the case's name, in JSON and text.
    public var name: String { String(describing: self) }

    /// The class of frames with these holds and kpageflags word.
    @inline(__always)
    static func of(holds: FrameHolds, flags: UInt64) -> MapClass {
        if flags & KPageFlags.nopage.rawValue != 0 { return .none }
        if holds.contains(.pinned) { return .pinned }
        if !holds.intersection([.extraReferences, .reserved, .slab, .pageTable, .offline, .kernel]).isEmpty { return .kernel }
        if flags & KPageFlags.hwpoison.rawValue != 0 { return .kernel }
        if holds.contains(.hugetlb) { return .hugetlb }
        if holds.contains(.mlocked) { return .mlocked }
        if flags & KPageFlags.buddy.rawValue != 0 { return .free }
        return .movable
    }
}

/// One cell of `phys --map`: the frames [startPFN, startPFN + pages) counted by class.
public struct MapCell: Codable, Sendable, Equatable {
    public var startPFN: UInt64
    public var pages: UInt64
    /// Frames read per class, indexed by `MapClass.rawValue` (`none` counts frames that
    /// were read but are holes in the memory map).
    public var frames: [UInt64]
    /// The worst class present.
    public var worst: MapClass {
        MapClass.allCases.reversed().first { $0 != .none && frames[$0.rawValue] > 0 } ?? .none
    }

    public func count(_ c: MapClass) -> UInt64 { frames[c.rawValue] }

    /// The worst class covers at least an eighth of the frames read: a block full of it,
    /// not a few stragglers an operator could chase down (either still holds the block).
    public var dense: Bool {
        let total = MapClass.allCases.filter { $0 != .none }.reduce(UInt64(0)) { $0 &+ count($1) }
        return total > 0 && count(worst) &* 8 >= total
    }

    enum CodingKeys: String, CodingKey { case startPFN, pages, worst, dense, free, movable, mlocked, hugetlb, kernel, pinned }

    public init(startPFN: UInt64, pages: UInt64, frames: [UInt64]) {
        self.startPFN = startPFN
        self.pages = pages
        self.frames = frames
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        startPFN = try c.decode(UInt64.self, forKey: .startPFN)
        pages = try c.decode(UInt64.self, forKey: .pages)
        frames = [UInt64](repeating: 0, count: MapClass.allCases.count)
        for cls in MapClass.allCases where cls != .none {
            frames[cls.rawValue] = try c.decode(UInt64.self, forKey: Self.key(cls))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(startPFN, forKey: .startPFN)
        try c.encode(pages, forKey: .pages)
        try c.encode(worst.name, forKey: .worst)
        try c.encode(dense, forKey: .dense)
        for cls in MapClass.allCases where cls != .none { try c.encode(count(cls), forKey: Self.key(cls)) }
    }

    /// A class's count is under its name.
    static func key(_ cls: MapClass) -> CodingKeys { CodingKeys(rawValue: cls.name)! }
}

/// A row of the map: the cells of one labelled range ("node 0 Normal", "block 40").
public struct MapRow: Codable, Sendable, Equatable {
    public var label: String
    public var cells: [MapCell]

    public init(label: String, cells: [MapCell]) {
        self.label = label
        self.cells = cells
    }
}

/// `pinctl phys --map`: physical memory as cells of one memory block each (of 2 MiB inside
/// a single block), each counted by what keeps its frames from moving.
public struct PhysMap: Codable, Sendable, Equatable {
    public var cellPages: UInt64
    public var cellBytes: UInt64 { cellPages << PagemapReader.pageShift }
    /// "block" or "2 MiB".
    public var cellUnit: String
    public var rows: [MapRow]
    /// Whether pinned frames could be told apart (the KernelHelper module answered).
    public var pinnedKnown: Bool

    public init(cellPages: UInt64, cellUnit: String, rows: [MapRow], pinnedKnown: Bool) {
        self.cellPages = cellPages
        self.cellUnit = cellUnit
        self.rows = rows
        self.pinnedKnown = pinnedKnown
    }

    /// Cells per class of their worst frame, over every row (a cell in two rows, at a zone
    /// boundary inside a block, counts once per row).
    public var cellsByClass: [MapClass: Int] {
        var out: [MapClass: Int] = [:]
        for r in rows { for c in r.cells { out[c.worst, default: 0] += 1 } }
        return out
    }

    /// The most cells a map draws: 1 TiB in 2 MiB cells, 64 TiB in 128 MiB blocks.
    public static let maxCells = 1 << 19
}

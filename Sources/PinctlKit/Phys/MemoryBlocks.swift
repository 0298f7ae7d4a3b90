/// One memory block of /sys/devices/system/memory (Documentation/admin-guide/mm/
/// memory-hotplug.rst): the unit memory is onlined and offlined in.
public struct MemoryBlock: Codable, Sendable, Equatable {
    public var index: UInt64
    public var startPFN: UInt64
    public var pages: UInt64
    /// "online", "offline", "going-offline"; nil when the file could not be read.
    public var state: String?
    /// "removable": 1 on kernels that still compute it; since 5.12 always 1 (the kernel
    /// no longer checks), so pinctl's count of unmovable frames is the answer that matters.
    public var removable: Bool?
    /// The zones it is or could be onlined to ("Normal", "Movable", "none").
    public var validZones: [String]
    public var node: UInt32?
}

/// The block size and the blocks behind a PFN range. Blocks that do not exist (holes in the
/// physical address space) are left out.
public struct MemoryBlocks: Sendable {
    public static let root = "/sys/devices/system/memory"
    public let blockPages: UInt64
    let root: String

    /// nil when the kernel has no memory block devices (CONFIG_MEMORY_HOTPLUG off).
    public init?(root: String = MemoryBlocks.root) {
        guard let text = try? ProcFileReader.bytes("\(root)/block_size_bytes"),
            let bytes = NumberParsing.parseHex(String(decoding: text, as: UTF8.self).trimmingSpacesAndNewlines()),
            bytes >= PagemapReader.pageSize, bytes & (bytes - 1) == 0
        else { return nil }
        blockPages = bytes >> PagemapReader.pageShift
        self.root = root
    }

    /// The block holding `pfn`.
    public func index(of pfn: UInt64) -> UInt64 { pfn / blockPages }

    /// Block `n`'s facts; nil when there is no such block.
    public func block(_ n: UInt64) -> MemoryBlock? {
        let dir = "\(root)/memory\(n)"
        guard let st = read(dir, "state") else { return nil }
        let removable = read(dir, "removable").map { $0 == "1" }
        let zones = read(dir, "valid_zones").map { $0.split(separator: " ").map { TerminalEscaping.escape(String($0)) } } ?? []
        return MemoryBlock(
            index: n, startPFN: n &* blockPages, pages: blockPages, state: TerminalEscaping.escape(st), removable: removable,
            validZones: zones, node: nil)
    }

    /// Every existing block that overlaps frames [start, start+count), at most `limit` of them.
    public func blocks(start: UInt64, count: UInt64, limit: Int = 1 << 20) -> [MemoryBlock] {
        guard count > 0 else { return [] }
        let first = index(of: start)
        let last = index(of: start + count - 1)
        var out: [MemoryBlock] = []
        var n = first
        while n <= last && out.count < limit {
            if let b = block(n) { out.append(b) }
            n += 1
        }
        return out
    }

    private func read(_ dir: String, _ file: String) -> String? {
        guard let b = try? ProcFileReader.bytes("\(dir)/\(file)") else { return nil }
        return String(decoding: b.prefix(256), as: UTF8.self).trimmingSpacesAndNewlines()
    }
}

extension String {
    func trimmingSpacesAndNewlines() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// What `pinctl inspect` found: plain values, so text and JSON render the same data.
public struct InspectReport: Codable, Sendable {
    public var pid: Int32
    public var target: String
    public var kernel: String
    public var vmas: [VMAReport]
    /// Rows of pages: a compound page, or a run of identical absent entries, is one row with
    /// its `count` unless collapsing was turned off.
    public var pages: [PageRow]
    public var summary: PageSummary
    /// pagemap gave PFN 0 for present pages: the reader lacks CAP_SYS_ADMIN.
    public var pfnHidden: Bool
    /// Why /proc/kpageflags, kpagecount or kpagecgroup could not be read, one line each.
    public var pageTablesUnavailable: [String]
    /// Whether refcount and dmaPinned come from the KernelHelper module.
    public var kernelHelper: Bool = false
    /// How the range was read ("PAGEMAP_SCAN skipped holes", ...).
    public var notes: [String]

    /// 0 for a full report; 6 when PFNs were hidden; 7 when page flags were unreadable.
    public var exitStatus: Int32 {
        if pfnHidden { return ExitStatus.pfnHidden }
        if summary.present > 0 && !summary.flagsAvailable { return ExitStatus.pageFlagsUnavailable }
        return ExitStatus.ok
    }
}

/// A VMA touched by the target, with its smaps counters.
public struct VMAReport: Codable, Sendable {
    public var start: String
    public var end: String
    public var size: UInt64
    public var perms: String
    public var offset: String
    public var dev: String
    public var inode: UInt64
    /// UTF-8; bytes that are not UTF-8 read as U+FFFD, and `pathBytes` has the exact bytes.
    public var path: String
    /// The path's bytes in hex, only when they are not valid UTF-8.
    public var pathBytes: String?
    /// For a path that ends in " (deleted)": whether the file was unlinked (the kernel's
    /// suffix) or is a live file so named; nil otherwise, or when that could not be read.
    public var deleted: Bool?
    public var rss: UInt64?
    public var pss: UInt64?
    public var locked: UInt64?
    public var anonymous: UInt64?
    public var anonHugePages: UInt64?
    public var swap: UInt64?
    public var thpEligible: Bool?
    public var kernelPageSize: UInt64?
    /// Every smaps counter by its kernel name (kB fields in bytes).
    public var smaps: [String: UInt64]
    public var vmFlags: [String]
    public var vmFlagWords: [String]

    public init(_ e: SmapsEntry) {
        let v = e.vma
        start = hex(v.start)
        end = hex(v.end)
        size = v.size
        perms = v.perms
        offset = hex(v.offset)
        dev = v.dev
        inode = v.inode
        path = v.path
        pathBytes = v.rawPath.map { TerminalEscaping.hex($0) }
        deleted = v.unlinked
        rss = e["Rss"]
        pss = e["Pss"]
        locked = e["Locked"]
        anonymous = e["Anonymous"]
        anonHugePages = e["AnonHugePages"]
        swap = e["Swap"]
        thpEligible = e["THPeligible"].map { $0 != 0 }
        kernelPageSize = e["KernelPageSize"]
        smaps = e.fields
        vmFlags = e.vmFlags
        vmFlagWords = e.vmFlags.map(VMFlags.word)
    }

    /// The path for a terminal, escaped ("[anon]" for anonymous memory).
    public var displayPath: String {
        path.isEmpty ? "[anon]" : TerminalEscaping.escape(text: path, hexBytes: pathBytes)
    }
}

/// One page, or one collapsed run of pages (`count` > 1).
public struct PageRow: Codable, Sendable {
    public var address: String
    public var count: Int
    public var present: Bool
    public var swapped: Bool
    public var pfn: UInt64?
    public var physAddress: String?
    public var swapType: UInt64?
    public var swapOffset: UInt64?
    public var exclusive: Bool
    public var softDirty: Bool
    public var uffdWP: Bool
    public var fileOrShared: Bool
    public var guardRegion: Bool
    /// Lowercase kernel names of the set /proc/kpageflags bits (empty when unreadable).
    public var flags: [String]
    public var kpageflags: String?
    /// /proc/kpagecount: the mapcount (not the refcount).
    public var mapcount: UInt64?
    /// /proc/kpagecgroup: the memory cgroup's inode number.
    public var memcg: UInt64?
    /// The row stands for a compound page (THP, hugetlb, large folio) or part of one.
    public var compound: Bool
    /// The raw pagemap entry of the row's first page.
    public var pagemap: String
    /// From the KernelHelper module (null without it): the page's refcount, and whether a
    /// FOLL_PIN is held on it (folio_maybe_dma_pinned).
    public var refcount: UInt32? = nil
    public var dmaPinned: Bool? = nil

    /// The row's strings from its facts, with the given kernel's flag names.
    public init(_ f: PageRowFacts, names: KPageFlagNames) {
        let pm = PagemapEntry(raw: f.entry)
        let pfn = f.pfn
        address = hex(f.va)
        count = Int(f.count)
        present = pm.present
        swapped = pm.swapped
        self.pfn = pfn
        physAddress = pfn.map { hex($0 << PagemapReader.pageShift) }
        swapType = pm.swapType
        swapOffset = pm.swapOffset
        exclusive = pm.exclusive
        softDirty = pm.softDirty
        uffdWP = pm.uffdWP
        fileOrShared = pm.fileOrSharedAnon
        guardRegion = pm.guardRegion
        flags = f.hasFlags ? KPageFlags(rawValue: f.flags).names(using: names) : []
        kpageflags = f.hasFlags ? hex(f.flags) : nil
        mapcount = f.hasMapcount ? f.mapcount : nil
        memcg = f.hasCgroup ? f.cgroup : nil
        compound = f.compound
        pagemap = hex(f.entry)
        refcount = f.hasKernelState ? f.refcount : nil
        dmaPinned = f.hasKernelState ? f.dmaPinned : nil
    }

    enum CodingKeys: String, CodingKey {
        case address, count, present, swapped, pfn, physAddress, swapType, swapOffset, exclusive, softDirty
        case uffdWP, fileOrShared, guardRegion, flags, kpageflags, mapcount, memcg, compound, pagemap
        case refcount, dmaPinned
    }

    /// Absent values are written as null, never left out: `pfn` is an integer or null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(address, forKey: .address)
        try c.encode(count, forKey: .count)
        try c.encode(present, forKey: .present)
        try c.encode(swapped, forKey: .swapped)
        try c.encode(pfn, forKey: .pfn)
        try c.encode(physAddress, forKey: .physAddress)
        try c.encode(swapType, forKey: .swapType)
        try c.encode(swapOffset, forKey: .swapOffset)
        try c.encode(exclusive, forKey: .exclusive)
        try c.encode(softDirty, forKey: .softDirty)
        try c.encode(uffdWP, forKey: .uffdWP)
        try c.encode(fileOrShared, forKey: .fileOrShared)
        try c.encode(guardRegion, forKey: .guardRegion)
        try c.encode(flags, forKey: .flags)
        try c.encode(kpageflags, forKey: .kpageflags)
        try c.encode(mapcount, forKey: .mapcount)
        try c.encode(memcg, forKey: .memcg)
        try c.encode(compound, forKey: .compound)
        try c.encode(pagemap, forKey: .pagemap)
        try c.encode(refcount, forKey: .refcount)
        try c.encode(dmaPinned, forKey: .dmaPinned)
    }
}

/// Totals over every page of the VMAs the target touched.
public struct PageSummary: Codable, Sendable {
    public var pages: UInt64 = 0
    public var present: UInt64 = 0
    public var swapped: UInt64 = 0
    public var notPresent: UInt64 = 0
    public var fileOrShared: UInt64 = 0
    public var exclusive: UInt64 = 0
    public var softDirty: UInt64 = 0
    public var uffdWP: UInt64 = 0
    public var guardRegion: UInt64 = 0
    /// From /proc/kpageflags: pages with mlocked, unevictable, thp, huge (hugetlb), ksm,
    /// zero_page set.
    public var locked: UInt64 = 0
    public var unevictable: UInt64 = 0
    public var thp: UInt64 = 0
    public var huge: UInt64 = 0
    public var ksm: UInt64 = 0
    public var zero: UInt64 = 0
    /// Runs of pages contiguous both virtually and physically.
    public var physicalRuns: UInt64 = 0
    public var longestRunPages: UInt64 = 0
    /// Pages per kpageflags name, for every bit seen.
    public var flagCounts: [String: UInt64] = [:]
    public var flagsAvailable: Bool = true
    public var bytesPresent: UInt64 { present &* PagemapReader.pageSize }

    public init() {}
}

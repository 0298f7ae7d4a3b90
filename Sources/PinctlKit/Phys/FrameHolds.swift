/// Why a frame would not move when its memory block is offlined (mm/memory_hotplug.c:
/// offline_pages isolates the range, then migrates what is on the LRU or movable; what
/// neither frees nor migrates makes the offline fail with EBUSY). From kpageflags alone, and
/// with the KernelHelper module, from the frame's refcount and DMA-pinned state too.
public struct FrameHolds: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// folio_maybe_dma_pinned (module): a FOLL_PIN is held; migration refuses it.
    public static let pinned = FrameHolds(rawValue: 1 << 0)
    /// More references than its mappings and the page cache explain (module): a
    /// get_user_pages or in-flight I/O reference; migration fails while it lasts.
    public static let extraReferences = FrameHolds(rawValue: 1 << 1)
    /// PG_reserved: memblock, firmware, the kernel image, the zero page; never migrated.
    public static let reserved = FrameHolds(rawValue: 1 << 2)
    /// Slab memory: kernel objects, never migrated.
    public static let slab = FrameHolds(rawValue: 1 << 3)
    /// A page table.
    public static let pageTable = FrameHolds(rawValue: 1 << 4)
    /// PG_offline: owned by a driver (balloon, virtio-mem); that driver decides.
    public static let offline = FrameHolds(rawValue: 1 << 5)
    /// A hugetlb page: migrated only when a free huge page can be had elsewhere.
    public static let hugetlb = FrameHolds(rawValue: 1 << 6)
    /// Allocated but on no LRU and not slab, page table or reserved: a kernel allocation
    /// (vmalloc, driver buffers, page-allocator users), or a free page still on a per-CPU
    /// list, or non-LRU movable memory (zsmalloc, balloon), which kpageflags cannot tell apart.
    public static let kernel = FrameHolds(rawValue: 1 << 7)
    /// mlocked: it still migrates (Documentation/mm/unevictable-lru.rst), so it does not
    /// block offlining; shown because users ask.
    public static let mlocked = FrameHolds(rawValue: 1 << 8)

    /// What makes an offline fail (mlocked does not).
    public static let unmovable: FrameHolds = [.pinned, .extraReferences, .reserved, .slab, .pageTable, .offline, .hugetlb, .kernel]

    public static let all: [(FrameHolds, String)] = [
        (.pinned, "pinned"), (.extraReferences, "extra-references"), (.reserved, "reserved"), (.slab, "slab"),
        (.pageTable, "page-table"), (.offline, "offline"), (.hugetlb, "hugetlb"), (.kernel, "kernel"), (.mlocked, "mlocked"),
    ]

    public var names: [String] { Self.all.filter { contains($0.0) }.map(\.1) }
    public var isUnmovable: Bool { !intersection(.unmovable).isEmpty }

    /// The holds of a frame with raw kpageflags `flags`, kpagecount `mapcount` (nil unread)
    /// and the module's state (nil without it). `movableZone`: the frame is in ZONE_MOVABLE,
    /// where the allocator puts only movable memory, so a frame with no LRU there is free on
    /// a per-CPU list or in transit, not a kernel allocation.
    @inline(__always)
    public static func of(flags f: UInt64, mapcount: UInt64?, refcount: UInt32?, dmaPinned: Bool, movableZone: Bool = false)
        -> FrameHolds
    {
        @inline(__always) func has(_ k: KPageFlags) -> Bool { f & k.rawValue != 0 }
        // A hole in the memory map, or a free page: nothing to move.
        if has(.nopage) || has(.buddy) || has(.hwpoison) { return [] }
        var h: FrameHolds = []
        if dmaPinned { h.insert(.pinned) }
        if has(.reserved) { h.insert(.reserved) }
        if has(.slab) { h.insert(.slab) }
        if has(.pgtable) { h.insert(.pageTable) }
        if has(.offline) { h.insert(.offline) }
        if has(.huge) { h.insert(.hugetlb) }
        if has(.mlocked) { h.insert(.mlocked) }
        let userOrCache: UInt64 =
            KPageFlags.lru.rawValue | KPageFlags.anon.rawValue | KPageFlags.mmap.rawValue | KPageFlags.swapcache.rawValue
            | KPageFlags.swapbacked.rawValue | KPageFlags.zeroPage.rawValue | KPageFlags.ksm.rawValue
        if !movableZone && h.intersection([.reserved, .slab, .pageTable, .offline, .hugetlb]).isEmpty && f & userOrCache == 0 {
            h.insert(.kernel)
        }
        // The references a small page's mappings and page cache explain: one per mapping,
        // one for the page cache (not anon), one for swap cache, one for private data.
        if !dmaPinned, let refcount, let mapcount, !has(.compoundHead), !has(.compoundTail), !h.contains(.kernel), !has(.reserved) {
            var expected = mapcount
            if !has(.anon) && (has(.lru) || has(.mmap)) { expected &+= 1 }
            if has(.swapcache) { expected &+= 1 }
            if has(.private) { expected &+= 1 }
            if UInt64(refcount) > expected { h.insert(.extraReferences) }
        }
        return h
    }
}

/// One row of `inspect --pages` as the walker found it: numbers only, no strings, so a row
/// costs no allocation; the renderers in Render/ format it straight into their buffers.
/// A compound page, or a run of identical absent entries, is one row with `count` > 1.
public struct PageRowFacts: Sendable, Equatable {
    public var va: UInt64
    public var count: UInt64
    /// The raw pagemap entry of the row's first page.
    public var entry: UInt64
    /// kpageflags of the first page; meaningful when `hasFlags`.
    public var flags: UInt64
    public var mapcount: UInt64
    public var cgroup: UInt64
    /// The KernelHelper's refcount of the first page; meaningful when `hasKernelState`.
    public var refcount: UInt32
    public var hasFlags: Bool
    public var hasMapcount: Bool
    public var hasCgroup: Bool
    public var compound: Bool
    public var hasKernelState: Bool
    public var dmaPinned: Bool

    public var present: Bool { entry & (1 << 63) != 0 }
    public var guardRegion: Bool { entry & (1 << 58) != 0 }
    public var swapped: Bool { entry & (1 << 62) != 0 && !guardRegion && !present }
    /// nil for an absent page and for a PFN the kernel hid (0).
    public var pfn: UInt64? {
        let p = entry & PagemapEntry.pfnMask
        return present && p != 0 ? p : nil
    }
}

/// Builds rows page by page, collapsing a compound page into one row and a run of identical
/// absent entries into another, unless told not to. Closed rows go to `closed`, a fixed
/// buffer the walker drains after every chunk, so memory is bounded by the chunk, not the
/// range. A value type over that buffer: the walker keeps it in a local in its hot loop.
struct PageRowBuilder {
    let collapse: Bool
    /// Rows closed since the walker last drained them: `closed[0..<closedCount]`.
    let closed: UnsafeMutablePointer<PageRowFacts>
    let capacity: Int
    private(set) var closedCount = 0
    private var open = PageRowFacts(
        va: 0, count: 0, entry: 0, flags: 0, mapcount: 0, cgroup: 0, refcount: 0, hasFlags: false,
        hasMapcount: false, hasCgroup: false, compound: false, hasKernelState: false, dmaPinned: false)
    private var isOpen = false
    private var lastVA: UInt64 = 0
    private var lastPFN: UInt64 = 0

    /// `capacity`: the most pages added between two drains, plus one.
    init(collapse: Bool, capacity: Int) {
        self.collapse = collapse
        self.capacity = capacity
        closed = .allocate(capacity: capacity)
    }

    /// Frees the buffer; the owner calls it once.
    func deallocate() { closed.deallocate() }

    /// The closed rows, for the sink; `drained()` forgets them.
    var closedRows: UnsafeBufferPointer<PageRowFacts> { UnsafeBufferPointer(start: closed, count: closedCount) }

    mutating func drained() { closedCount = 0 }

    /// Closes the open row and returns every row (tests and small reports).
    mutating func finish() -> [PageRowFacts] {
        close()
        defer { closedCount = 0 }
        return Array(closedRows)
    }

    /// `flags` nil: unreadable. `inherited`: the page is a tail whose flags were not read
    /// because its head's were (a PMD-mapped huge page).
    @inline(__always)
    mutating func add(
        va: UInt64, entry: UInt64, flags: UInt64?, inherited: Bool, mapcount: UInt64?, cgroup: UInt64?,
        kernel: KernelPageState? = nil
    ) {
        let present = entry & (1 << 63) != 0
        let pfn = entry & PagemapEntry.pfnMask
        if collapse, isOpen, va == lastVA &+ PagemapReader.pageSize {
            let openPresent = open.entry & (1 << 63) != 0
            let tail = flags.map { $0 & KPageFlags.compoundTail.rawValue != 0 } ?? false
            if present, pfn != 0, openPresent, open.compound, pfn == lastPFN &+ 1, inherited || tail {
                open.count &+= 1
                lastVA = va
                lastPFN = pfn
                return
            }
            if !present, entry & (1 << 62) == 0, !openPresent, open.entry & (1 << 62) == 0, open.entry == entry {
                open.count &+= 1
                lastVA = va
                return
            }
        }
        close()
        let compoundBits = KPageFlags.compoundHead.rawValue | KPageFlags.compoundTail.rawValue
        open = PageRowFacts(
            va: va, count: 1, entry: entry, flags: flags ?? 0, mapcount: mapcount ?? 0, cgroup: cgroup ?? 0,
            refcount: 0, hasFlags: flags != nil, hasMapcount: mapcount != nil, hasCgroup: cgroup != nil,
            compound: inherited || (flags.map { $0 & compoundBits != 0 } ?? false), hasKernelState: false,
            dmaPinned: false)
        if let k = kernel, k.pfn != nil {
            open.refcount = k.refcount
            open.dmaPinned = k.dmaPinned
            open.hasKernelState = true
        }
        isOpen = true
        lastVA = va
        lastPFN = pfn
    }

    /// `count` absent pages from `va` whose pagemap entries all equal `entry` (neither
    /// present nor swapped): the rows `add` would build page by page, at the cost of one.
    mutating func addAbsentRun(va: UInt64, count: UInt64, entry: UInt64) {
        guard count > 0 else { return }
        guard collapse else {
            var a = va
            for _ in 0..<count {
                add(va: a, entry: entry, flags: nil, inherited: false, mapcount: nil, cgroup: nil)
                a &+= PagemapReader.pageSize
            }
            return
        }
        let last = va &+ (count &- 1) &* PagemapReader.pageSize
        if isOpen, va == lastVA &+ PagemapReader.pageSize, open.entry & (1 << 63) == 0, open.entry & (1 << 62) == 0,
            open.entry == entry
        {
            open.count &+= count
            lastVA = last
            return
        }
        add(va: va, entry: entry, flags: nil, inherited: false, mapcount: nil, cgroup: nil)
        open.count = count
        lastVA = last
    }

    /// Ends the open row: at a VMA's end (a row never spans two VMAs) and after the last page.
    @inline(__always)
    mutating func close() {
        guard isOpen else { return }
        isOpen = false
        precondition(closedCount < capacity, "PageRowBuilder: rows not drained")
        (closed + closedCount).initialize(to: open)
        closedCount += 1
    }
}

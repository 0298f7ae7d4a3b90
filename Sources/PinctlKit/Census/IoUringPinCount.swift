/// One page of a registered buffer as its folio has it: what io_uring's coalescing looks at.
struct FolioPage: Equatable {
    var pfn: UInt64
    /// The folio's head PFN (the page's own PFN for a small page).
    var head: UInt64
    /// The folio's size in pages (1 for a small page).
    var pages: UInt64

    var index: UInt64 { pfn &- head }
}

/// The FOLL_PIN references io_uring keeps for one registered buffer. From 6.10,
/// IORING_REGISTER_BUFFERS coalesces a buffer whose pages lie in large folios
/// (io_uring/rsrc.c, io_check_coalesce_buffer): when the pages are contiguous inside each
/// folio, every folio after the first starts at its first page, the first runs to its last
/// page and all folios are the same size, it unpins all but one page per folio. Otherwise
/// (and always before 6.10) every page keeps its pin. This replays that check page by page,
/// in the buffer's order, holding only the current folio (memory bounded whatever the size).
struct IoUringCoalescing {
    private(set) var pages: UInt64 = 0
    private var folios: UInt64 = 0
    private var mid: UInt64 = 0
    private var count: UInt64 = 0
    private var previous: FolioPage?
    private var failed = false

    mutating func add(_ p: FolioPage) {
        pages &+= 1
        guard let prev = previous else {
            previous = p
            mid = p.pages
            count = 1
            folios = 1
            return
        }
        previous = p
        guard !failed else { return }
        if p.head == prev.head && p.pfn == prev.pfn &+ 1 {
            count += 1
            return
        }
        if folios == 1 {
            // The first folio may start anywhere but must run to its last page.
            guard prev.index == mid &- 1 else { return fail() }
        } else if count != mid {
            return fail()
        }
        guard p.pages == mid, p.index == 0 else { return fail() }
        count = 1
        folios += 1
    }

    private mutating func fail() { failed = true }

    /// The buffer keeps a pin per page whatever follows: its first folio is a small page,
    /// or the pages already broke the pattern.
    var perPage: Bool { pages >= 1 && (mid <= 1 || failed) }

    /// Pins held: one per folio when coalesced, else one per page.
    var pins: UInt64 { pages <= 1 || mid <= 1 || failed ? pages : folios }
}

/// Counts the pins io_uring holds for registered buffers from the pages now mapped there
/// (pagemap PFNs, then /proc/kpageflags' compound head and tail bits give each page's folio).
/// Needs root (PFNs and kpageflags); nil for a buffer whose pages cannot all be read, and
/// the census then falls back to the page count, an upper bound, and says so.
struct IoUringPinCounter {
    static let compoundHead: UInt64 = 1 << 15
    static let compoundTail: UInt64 = 1 << 16
    /// Pagemap entries per read.
    static let chunk = 4096
    /// kpageflags entries per read: a PMD-sized folio's 512, aligned, plus the next one to
    /// tell whether the folio goes on (it never does on x86 but for 1 GiB hugetlb, which
    /// this leaves uncounted: nil).
    static let block: UInt64 = 512

    let pagemap: PagemapReader
    let physical: PhysicalPageReader
    private var entries = [UInt64](repeating: 0, count: chunk)
    private var flags = [UInt64](repeating: 0, count: Int(block) + 1)
    private var flagsStart: UInt64 = .max
    private var flagsCount = 0

    init(pagemap: PagemapReader, physical: PhysicalPageReader) {
        self.pagemap = pagemap
        self.physical = physical
    }

    /// Whether this kernel coalesces (6.10 and later).
    static func kernelCoalesces(release: String) -> Bool {
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return true }
        return (parts[0], parts[1]) >= (6, 10)
    }

    mutating func pins(address: UInt64, length: UInt64) -> UInt64? {
        guard length > 0, physical.hasFlags else { return nil }
        let first = address >> PagemapReader.pageShift
        let (endAddress, overflow) = address.addingReportingOverflow(length &- 1)
        guard !overflow else { return nil }
        let last = endAddress >> PagemapReader.pageShift
        var check = IoUringCoalescing()
        var page = first
        while page <= last {
            let n = Int(min(UInt64(Self.chunk), last - page + 1))
            let got: Int
            do {
                got = try entries.withUnsafeMutableBufferPointer { b throws(PinctlError) in
                    try pagemap.read(start: page << PagemapReader.pageShift, into: UnsafeMutableBufferPointer(rebasing: b[0..<n]))
                }
            } catch {
                return nil
            }
            guard got == n else { return nil }
            for i in 0..<n {
                guard let pfn = PagemapEntry(raw: entries[i]).pfn, pfn != 0, let folio = folioPage(pfn) else { return nil }
                check.add(folio)
                if check.perPage { return last - first + 1 }
            }
            page += UInt64(n)
        }
        return check.pins
    }

    /// The page's folio from kpageflags; nil when the flags cannot be read or the folio is
    /// larger than the block read.
    private mutating func folioPage(_ pfn: UInt64) -> FolioPage? {
        let start = pfn & ~(Self.block - 1)
        if start != flagsStart {
            // A small page needs its own entry only (a 4 KiB buffer's pages are anywhere).
            var one: UInt64 = 0
            guard physical.read(pfn: pfn, n: 1, flags: &one, count: nil, cgroup: nil).flags == 1 else { return nil }
            if one & (Self.compoundHead | Self.compoundTail) == 0 { return FolioPage(pfn: pfn, head: pfn, pages: 1) }
            let n = Int(Self.block) + 1
            flagsCount = flags.withUnsafeMutableBufferPointer { b in
                physical.read(pfn: start, n: n, flags: b.baseAddress, count: nil, cgroup: nil).flags
            }
            flagsStart = start
        }
        let i = Int(pfn - start)
        guard i < flagsCount else { return nil }
        let f = flags[i]
        guard f & (Self.compoundHead | Self.compoundTail) != 0 else { return FolioPage(pfn: pfn, head: pfn, pages: 1) }
        var h = i
        while flags[h] & Self.compoundHead == 0 {
            guard h > 0, flags[h] & Self.compoundTail != 0 else { return nil }
            h -= 1
        }
        var end = h + 1
        while end < flagsCount && flags[end] & Self.compoundTail != 0 && flags[end] & Self.compoundHead == 0 { end += 1 }
        // A folio reaching past the block (or the end of what was read) is not measured here.
        guard end < flagsCount else { return nil }
        return FolioPage(pfn: pfn, head: start + UInt64(h), pages: UInt64(end - h))
    }
}

/// Fills in each registered buffer's pin count (IoUringBuffer.pinnedPages) for the rows.
enum IoUringPinCounts {
    static func fill(_ rows: inout [CensusRow], kernelRelease: String) {
        let coalesces = IoUringPinCounter.kernelCoalesces(release: kernelRelease)
        var physical: PhysicalPageReader?
        for r in rows.indices where rows[r].ioUringRings.contains(where: { !$0.buffers.isEmpty }) {
            var counter: IoUringPinCounter?
            if coalesces {
                let phys = physical ?? PhysicalPageReader()
                physical = phys
                if let dir = try? ProcessDirectory(ProcessRef(pid: rows[r].pid)), let pagemap = try? PagemapReader(directory: dir) {
                    counter = IoUringPinCounter(pagemap: pagemap, physical: phys)
                }
            }
            for g in rows[r].ioUringRings.indices {
                for b in rows[r].ioUringRings[g].buffers.indices {
                    let buffer = rows[r].ioUringRings[g].buffers[b]
                    rows[r].ioUringRings[g].buffers[b].pinnedPages =
                        coalesces ? counter?.pins(address: buffer.address, length: buffer.length) : buffer.pagesSpanned
                }
            }
        }
    }
}

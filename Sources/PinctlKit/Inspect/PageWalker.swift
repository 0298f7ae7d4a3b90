/// Walks the pages of VMA segments: pagemap in large preads (skipping holes with
/// PAGEMAP_SCAN where the kernel has it), kpageflags/kpagecount/kpagecgroup in one pread per
/// run of contiguous PFNs, a PMD-mapped huge page's flags once at its head; accumulates the
/// summary and, when asked, the rows.
final class PageWalker {
    /// 128 KiB of pagemap per pread: small enough to stay in cache and be reused without
    /// new page faults, large enough that syscalls are noise. A multiple of 512 so chunks
    /// start on 2 MiB boundaries and a PMD-mapped huge page never straddles two.
    static let chunkPages = 16384
    /// The first chunk of a streamed walk.
    static let firstChunkPages = 512

    let pagemap: PagemapReader
    let tables: PhysicalPageReader
    let options: InspectOptions
    /// Says why the address space went away when pagemap stops answering.
    let directory: ProcessDirectory

    private let entries: UnsafeMutableBufferPointer<UInt64>
    private let flags: UnsafeMutableBufferPointer<UInt64>
    private let counts: UnsafeMutableBufferPointer<UInt64>
    private let cgroups: UnsafeMutableBufferPointer<UInt64>
    /// Per page: which of flags/count/cgroup were read, and whether flags come from a head.
    private let valid: UnsafeMutableBufferPointer<UInt8>
    private static let hasFlags: UInt8 = 1, hasCount: UInt8 = 2, hasCgroup: UInt8 = 4, inheritedFlags: UInt8 = 8, blockHead: UInt8 = 16

    private(set) var summary = PageSummary()
    private var bitCounts = [UInt64](repeating: 0, count: 64)
    private var anonExclusive: UInt64 = 0
    private var rowBuilder: PageRowBuilder
    /// Receives the rows closed in each chunk (streaming); nil collects them in `rows`.
    var rowSink: ((UnsafeBufferPointer<PageRowFacts>) throws(PinctlError) -> Void)?
    /// Rows kept when there is no sink.
    private(set) var rows: [PageRowFacts] = []
    /// The KernelHelper's view of a chunk's pages (refcount, DMA pin), when it is loaded.
    var kernelQuery: ((_ start: UInt64, _ pages: UInt64) throws(PinctlError) -> [KernelPageState])?
    private(set) var pfnHidden = false
    private(set) var pagesRead: UInt64 = 0
    private(set) var scanUsed = false
    private(set) var inheritedPages: UInt64 = 0
    /// Tail pagemap entries derived from their PMD-mapped head instead of read.
    private(set) var derivedEntries: UInt64 = 0
    private var lastVA: UInt64 = .max
    private var lastPFN: UInt64 = .max
    private var runLength: UInt64 = 0
    /// Pages per huge page in the segment being walked.
    private var currentHugePages: UInt64 = 512

    init(pagemap: PagemapReader, directory: ProcessDirectory, tables: PhysicalPageReader, options: InspectOptions) {
        self.pagemap = pagemap
        self.directory = directory
        self.tables = tables
        self.options = options
        let n = Self.chunkPages
        entries = .allocate(capacity: n)
        flags = .allocate(capacity: n)
        counts = .allocate(capacity: n)
        cgroups = .allocate(capacity: n)
        valid = .allocate(capacity: n)
        rowBuilder = PageRowBuilder(collapse: options.collapse, capacity: n + 2)
    }

    deinit {
        entries.deallocate()
        flags.deallocate()
        counts.deallocate()
        cgroups.deallocate()
        valid.deallocate()
        rowBuilder.deallocate()
    }

    /// `hugePages`: pages per huge page in this VMA (512 for THP, KernelPageSize/4K for hugetlb).
    func walk(_ seg: Segment, hugePages: UInt64) throws(PinctlError) {
        summary.pages += seg.pages
        currentHugePages = hugePages
        // PAGEMAP_SCAN answers EFAULT for any range reaching above user space (vsyscall).
        // Summaries read only the populated regions, a scan vector's worth at a time.
        // Rows: PAGEMAP_SCAN is asked per chunk, for the holes it proves empty and for the
        // PMD-mapped blocks whose tails' flags are read once, at the head (collapse), so the
        // first row does not wait for a scan of the whole segment (tens of ms for 16 GiB).
        let scanPerChunk = options.rows
        let scanChunks = scanPerChunk && options.useScan && options.collapse && Self.tailsMirrorHead && hugePages > 1
        var huge: [PagemapReader.Region] = []
        var hugeCursor = 0
        // Rows skip what PAGEMAP_SCAN proves empty (a 256 GiB PROT_NONE reservation is one
        // scan and a row, not 64Mi entries read); without it (6.1) they read every entry.
        var skipHoles =
            options.rows && options.useScan && options.skipHoles && seg.end <= PagemapReader.userSpaceEnd
            && pagemap.scanSupported != false
        window = PagemapReader.ScanWindow(regions: [], walkEnd: 0)
        checkedHole = nil
        func walkRange(_ start: UInt64, _ end: UInt64) throws(PinctlError) {
            var va = start
            while va < end {
                // The first streamed chunk is one 2 MiB block, so the first row is on stdout
                // after ~512 pages' reads rather than 16Ki pages' (4K pages: 3 preads each).
                let chunk = UInt64(rowSink != nil && pagesRead == 0 ? Self.firstChunkPages : Self.chunkPages)
                let toBoundary = chunk - (va >> PagemapReader.pageShift) % chunk
                let want = Int(min(toBoundary, (end - va) >> PagemapReader.pageShift))
                if skipHoles {
                    if try holePieces(va: va, pages: want, segmentEnd: seg.end) {
                        try walkPieces(base: va, n: want, hugeWanted: scanChunks, hugePages: hugePages)
                        try drainRows()
                        pagesRead += UInt64(want)
                        va += UInt64(want) << PagemapReader.pageShift
                        continue
                    }
                    skipHoles = false
                }
                if scanChunks && va < PagemapReader.userSpaceEnd {
                    let chunkEnd = min(va &+ (UInt64(want) << PagemapReader.pageShift), PagemapReader.userSpaceEnd)
                    var chunkHuge: [PagemapReader.Region] = []
                    _ = try scanBatches(start: va, end: chunkEnd) { (batch) throws(PinctlError) in
                        chunkHuge.append(contentsOf: batch.lazy.filter(\.huge))
                    }
                    huge = chunkHuge
                    hugeCursor = 0
                }
                var got = 0
                if headEntriesSuffice, hugePages > 1,
                    let derived = try readHeadsOnly(start: va, pages: want, huge: huge, hugePages: hugePages)
                {
                    got = derived
                } else {
                    got = try pagemap.read(start: va, into: UnsafeMutableBufferPointer(rebasing: entries[0..<want]))
                }
                if got < want {
                    // Above user space (vsyscall) pagemap has no entries: those pages are
                    // absent. Below it, a short read means the address space is gone.
                    let unread = va &+ (UInt64(got) << PagemapReader.pageShift)
                    if unread < PagemapReader.userSpaceEnd {
                        throw directory.addressSpaceGone(while: "its page tables were read")
                    }
                    for k in got..<want { entries[k] = 0 }
                }
                readTables(base: va, from: 0, to: want, huge: huge, hugeCursor: &hugeCursor, hugePages: hugePages)
                // The module is asked only about chunks with a present page: an empty
                // reservation (terabytes of PROT_NONE) costs it nothing.
                let kernel =
                    options.rows && kernelQuery != nil && entries[0..<want].contains(where: { $0 >> 63 == 1 })
                    ? try kernelQuery?(va, UInt64(want)) : nil
                accumulate(base: va, from: 0, to: want, kernel: kernel)
                if options.rows { try drainRows() }
                pagesRead += UInt64(want)
                va += UInt64(want) << PagemapReader.pageShift
            }
        }
        var scanned = false
        if options.useScan && !scanPerChunk && seg.start < PagemapReader.userSpaceEnd {
            scanned = try scanBatches(start: seg.start, end: min(seg.end, PagemapReader.userSpaceEnd)) {
                (batch) throws(PinctlError) in
                huge = batch.filter(\.huge)
                hugeCursor = 0
                for r in batch { try walkRange(r.start, r.end) }
            }
        }
        if !scanned { try walkRange(seg.start, seg.end) }
        // A row never spans two VMAs (nor two segments of a target).
        if options.rows {
            rowBuilder.close()
            try drainRows()
        }
    }

    /// A stretch of a chunk: entries[lo..<hi] are read, or (`absent`) every entry in it is
    /// known to be that value and nothing is read.
    struct Piece {
        var lo: Int
        var hi: Int
        var absent: UInt64?
        /// Where the hole this piece is part of starts: its first entry is checked once.
        var holeStart: UInt64
    }

    /// Holes shorter than this are read with their neighbours: one pread of a few more
    /// entries costs less than splitting it, and the check of a hole's entry.
    static let minHolePages = 512

    /// PAGEMAP_SCAN's view ahead of a rows walk, from `windowStart` to `window.walkEnd`.
    private var window = PagemapReader.ScanWindow(regions: [], walkEnd: 0)
    private var windowStart: UInt64 = 0
    /// The first region of `window` not wholly before the chunk being walked.
    private var windowCursor = 0
    /// The current chunk's pieces (reused).
    private var chunkPieces: [Piece] = []
    /// The hole whose first entry was read and was what the scan implied.
    private var checkedHole: (start: UInt64, entry: UInt64)? = nil

    /// Splits the chunk [va, va + pages) into pieces to read and holes to skip; false when
    /// the kernel has no PAGEMAP_SCAN (the walk reads every entry).
    ///
    /// The scan reports every page whose entry can be non-zero (PagemapReader.scanWindow):
    /// present and swap PTEs (pte markers of uffd-wp, guard regions and poison are swap
    /// PTEs: SWAPPED), and the soft-dirty ones. A page it leaves out reads as 0; a page only
    /// soft-dirty, and neither present nor swapped, is a hole of a VM_SOFTDIRTY VMA and reads
    /// as bit 55 alone (pte_to_pagemap_entry and pagemap_pte_hole: no PFN, no other bit).
    /// Holes are per VMA, so one entry of each is read to confirm it: the scan skips
    /// VM_PFNMAP VMAs (pagemap reads them as holes, soft-dirty under VM_SOFTDIRTY), and an
    /// entry that is not what the scan implied makes the hole read whole.
    private func holePieces(va: UInt64, pages: Int, segmentEnd: UInt64) throws(PinctlError) -> Bool {
        let shift = PagemapReader.pageShift
        let end = va &+ (UInt64(pages) << shift)
        if !(windowStart <= va && end <= window.walkEnd) {
            guard var w = try scanWindow(start: va, end: segmentEnd) else { return false }
            // The output vector filled before the chunk's end: scan on (each call walks at
            // most a chunk's worth of populated pages).
            while w.walkEnd < end {
                guard let more = try scanWindow(start: w.walkEnd, end: segmentEnd), more.walkEnd > w.walkEnd else { break }
                // Regions already in the window (a kernel that returns some twice) are
                // left out, so the window stays sorted and without overlaps.
                for var r in more.regions where r.end > w.walkEnd {
                    r.start = max(r.start, w.walkEnd)
                    if var last = w.regions.last, last.end == r.start, last.categories == r.categories {
                        last.end = r.end
                        w.regions[w.regions.count - 1] = last
                    } else {
                        w.regions.append(r)
                    }
                }
                w.walkEnd = more.walkEnd
            }
            window = w
            windowStart = va
            windowCursor = 0
        }
        chunkPieces.removeAll(keepingCapacity: true)
        if window.walkEnd < end {
            // The kernel did not get this far (it made no progress): read the chunk.
            chunkPieces.append(Piece(lo: 0, hi: pages, absent: nil, holeStart: 0))
            return true
        }
        func index(_ a: UInt64) -> Int { Int((a &- va) >> shift) }
        func read(_ a: UInt64, _ b: UInt64) {
            if let last = chunkPieces.last, last.absent == nil, last.hi == index(a) {
                chunkPieces[chunkPieces.count - 1].hi = index(b)
            } else {
                chunkPieces.append(Piece(lo: index(a), hi: index(b), absent: nil, holeStart: 0))
            }
        }
        func hole(_ a: UInt64, _ b: UInt64, entry: UInt64, start: UInt64) {
            if (b &- a) >> shift >= Self.minHolePages {
                chunkPieces.append(Piece(lo: index(a), hi: index(b), absent: entry, holeStart: start))
            } else {
                read(a, b)
            }
        }
        let regions = window.regions
        var i = windowCursor
        while i < regions.count && regions[i].end <= va { i += 1 }
        var pos = va
        while i < regions.count && regions[i].start < end {
            let r = regions[i]
            let rs = max(r.start, va), re = min(r.end, end)
            if rs > pos { hole(pos, rs, entry: 0, start: i > 0 ? max(regions[i - 1].end, windowStart) : windowStart) }
            if !r.present && !r.swapped && r.softDirty {
                hole(rs, re, entry: 1 << 55, start: max(r.start, windowStart))
            } else {
                read(rs, re)
            }
            pos = re
            if r.end > end { break }
            i += 1
        }
        if pos < end { hole(pos, end, entry: 0, start: i > 0 ? max(regions[i - 1].end, windowStart) : windowStart) }
        windowCursor = i
        // One entry of each hole, read once: what the scan cannot tell (VM_PFNMAP), and a
        // target gone meanwhile (its pagemap reads nothing; the scan of a dead mm finds no
        // regions).
        for k in chunkPieces.indices {
            guard let entry = chunkPieces[k].absent else { continue }
            if let c = checkedHole, c.start == chunkPieces[k].holeStart, c.entry == entry { continue }
            let a = va &+ (UInt64(chunkPieces[k].lo) << shift)
            let got = try pagemap.read(
                start: a, into: UnsafeMutableBufferPointer(rebasing: entries[chunkPieces[k].lo..<(chunkPieces[k].lo + 1)]))
            if got < 1 { throw directory.addressSpaceGone(while: "its page tables were read") }
            if entries[chunkPieces[k].lo] == entry {
                checkedHole = (chunkPieces[k].holeStart, entry)
            } else {
                chunkPieces[k].absent = nil
            }
        }
        return true
    }

    /// The chunk [base, base + n) by the pieces `holePieces` made: the read ones as a chunk is
    /// walked, the holes as runs of absent rows, in address order.
    private func walkPieces(base: UInt64, n: Int, hugeWanted: Bool, hugePages: UInt64) throws(PinctlError) {
        let shift = PagemapReader.pageShift
        let end = base &+ (UInt64(n) << shift)
        var anyPresent = false
        for p in chunkPieces where p.absent == nil {
            let want = p.hi - p.lo
            let a = base &+ (UInt64(p.lo) << shift)
            let got = try pagemap.read(start: a, into: UnsafeMutableBufferPointer(rebasing: entries[p.lo..<p.hi]))
            if got < want {
                let unread = a &+ (UInt64(got) << shift)
                if unread < PagemapReader.userSpaceEnd { throw directory.addressSpaceGone(while: "its page tables were read") }
                for k in (p.lo + got)..<p.hi { entries[k] = 0 }
            }
            if !anyPresent && entries[p.lo..<p.hi].contains(where: { $0 >> 63 == 1 }) { anyPresent = true }
        }
        // The PMD-mapped blocks whose tails take their head's flags (collapse, 6.15+), as
        // the per-chunk scan of a full read finds them.
        var huge: [PagemapReader.Region] = []
        if hugeWanted {
            huge = window.regions.filter { $0.huge && ($0.present || $0.swapped) && $0.end > base && $0.start < end }
        }
        var hugeCursor = 0
        for p in chunkPieces where p.absent == nil {
            readTables(base: base, from: p.lo, to: p.hi, huge: huge, hugeCursor: &hugeCursor, hugePages: hugePages)
        }
        let kernel = kernelQuery != nil && anyPresent ? try kernelQuery?(base, UInt64(n)) : nil
        for p in chunkPieces {
            if let entry = p.absent {
                let count = UInt64(p.hi - p.lo)
                if entry & (1 << 55) != 0 { summary.softDirty &+= count }
                rowBuilder.addAbsentRun(va: base &+ (UInt64(p.lo) << shift), count: count, entry: entry)
            } else {
                accumulate(base: base, from: p.lo, to: p.hi, kernel: kernel)
            }
        }
    }

    /// `PagemapReader.scanWindow` with the walker's error handling.
    private func scanWindow(start: UInt64, end: UInt64) throws(PinctlError) -> PagemapReader.ScanWindow? {
        let w: PagemapReader.ScanWindow?
        do {
            w = try pagemap.scanWindow(start: start, end: end, maxPages: UInt64(Self.chunkPages))
        } catch {
            if try !pagemap.addressSpaceAlive() { throw directory.addressSpaceGone(while: "its page tables were read") }
            throw error
        }
        if w != nil { scanUsed = true }
        return w
    }

    /// `PagemapReader.forEachPopulatedBatch` with the walker's error handling; false where
    /// the kernel lacks PAGEMAP_SCAN.
    private func scanBatches(
        start: UInt64, end: UInt64, _ body: ([PagemapReader.Region]) throws(PinctlError) -> Void
    ) throws(PinctlError) -> Bool {
        var inBody = false
        let found: Bool
        do {
            found = try pagemap.forEachPopulatedBatch(start: start, end: end) { (batch) throws(PinctlError) in
                inBody = true
                defer { inBody = false }
                try body(batch)
            }
        } catch {
            if !inBody, try !pagemap.addressSpaceAlive() { throw directory.addressSpaceGone(while: "its page tables were read") }
            throw error
        }
        if found { scanUsed = true }
        return found
    }

    /// Hands the rows closed so far to the sink (or keeps them), and reuses the buffer.
    private func drainRows() throws(PinctlError) {
        let closed = rowBuilder.closedRows
        guard !closed.isEmpty else { return }
        if let rowSink {
            try rowSink(closed)
        } else {
            rows.append(contentsOf: closed)
        }
        rowBuilder.drained()
    }

    /// Since 6.15 the kernel fills a PMD-mapped huge page's pagemap entries from one flags
    /// word (exclusivity from the folio, not per subpage: pagemap_pmd_range_thp), counting
    /// only the PFN up; before, each subpage had its own mapcount test. So on 6.15+, and
    /// only for a summary, the head's entry is read and the tails' are derived from it.
    var headEntriesSuffice: Bool {
        !options.rows && options.collapse && Self.tailsMirrorHead
    }

    static let tailsMirrorHead = kernelAtLeast(6, 15)

    static func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
        let parts = KernelRelease.current().split(separator: ".")
        guard parts.count >= 2, let ma = Int(parts[0]),
            let mi = Int(parts[1].prefix(while: { $0.isNumber }))
        else { return false }
        return (ma, mi) >= (major, minor)
    }

    /// Reads one entry per huge page when [start, start+pages) is whole PMD-mapped huge pages
    /// that PAGEMAP_SCAN found; nil (read everything) otherwise or when a head is not a
    /// plain present entry.
    private func readHeadsOnly(start: UInt64, pages: Int, huge: [PagemapReader.Region], hugePages: UInt64) throws(PinctlError)
        -> Int?
    {
        let hugeBytes = hugePages << PagemapReader.pageShift
        let end = start &+ (UInt64(pages) << PagemapReader.pageShift)
        guard start % hugeBytes == 0, UInt64(pages) % hugePages == 0,
            huge.contains(where: { $0.start <= start && end <= $0.end })
        else { return nil }
        var k = 0
        while k < pages {
            let va = start &+ (UInt64(k) << PagemapReader.pageShift)
            let got = try pagemap.read(start: va, into: UnsafeMutableBufferPointer(rebasing: entries[k..<(k + 1)]))
            let head = entries[k]
            guard got == 1, head & (1 << 63) != 0, head & PagemapEntry.pfnMask != 0 else { return nil }
            for t in 1..<Int(hugePages) { entries[k + t] = head &+ UInt64(t) }
            derivedEntries &+= hugePages - 1
            k += Int(hugePages)
        }
        return pages
    }

    /// Reads the PFN tables for every run of contiguous PFNs in entries[from..<n].
    private func readTables(
        base: UInt64, from: Int, to n: Int, huge: [PagemapReader.Region], hugeCursor: inout Int, hugePages: UInt64
    ) {
        let mask = PagemapEntry.pfnMask
        var i = from
        while i < n {
            valid[i] = 0
            let e = entries[i]
            guard e & (1 << 63) != 0, e & mask != 0 else { i += 1; continue }
            let pfn = e & mask
            var j = i + 1
            while j < n, entries[j] & (1 << 63) != 0, entries[j] & mask == pfn &+ UInt64(j - i) {
                j += 1
            }
            readRun(base: base, from: i, to: j, firstPFN: pfn, huge: huge, hugeCursor: &hugeCursor, hugePages: hugePages)
            i = j
        }
    }

    private func readRun(
        base: UInt64, from i: Int, to j: Int, firstPFN: UInt64, huge: [PagemapReader.Region],
        hugeCursor: inout Int, hugePages: UInt64
    ) {
        var plainStart = i
        var k = i
        // Tails' kpageflags equal the head's (bar head/tail) only since stable_page_flags()
        // reads the folio (6.10 rewrote it; 6.1 shows tails with 4 flags): gate as for entries.
        if options.collapse && !huge.isEmpty && hugePages > 1 && Self.tailsMirrorHead {
            let hugeBytes = hugePages << PagemapReader.pageShift
            while k < j {
                let va = base &+ (UInt64(k) << PagemapReader.pageShift)
                while hugeCursor < huge.count && huge[hugeCursor].end <= va { hugeCursor += 1 }
                let pfn = firstPFN &+ UInt64(k - i)
                let inHuge =
                    hugeCursor < huge.count && huge[hugeCursor].start <= va
                    && va &+ hugeBytes <= huge[hugeCursor].end
                if inHuge, va % hugeBytes == 0, pfn % hugePages == 0, k + Int(hugePages) <= j {
                    readPlain(from: plainStart, to: k, firstPFN: firstPFN &+ UInt64(plainStart - i))
                    readPlain(from: k, to: k + 1, firstPFN: pfn)
                    valid[k] |= Self.blockHead
                    for t in (k + 1)..<(k + Int(hugePages)) { valid[t] = Self.inheritedFlags | (valid[k] & Self.hasFlags) }
                    inheritedPages += hugePages - 1
                    k += Int(hugePages)
                    plainStart = k
                } else {
                    k += 1
                }
            }
        }
        readPlain(from: plainStart, to: j, firstPFN: firstPFN &+ UInt64(plainStart - i))
    }

    private func readPlain(from i: Int, to j: Int, firstPFN: UInt64) {
        guard j > i else { return }
        // The summary uses only the flags; mapcount and memcg are per-row facts.
        let rows = options.rows
        let got = tables.read(
            pfn: firstPFN, n: j - i, flags: flags.baseAddress! + i, count: rows ? counts.baseAddress! + i : nil,
            cgroup: rows ? cgroups.baseAddress! + i : nil)
        for k in i..<j {
            let off = k - i
            valid[k] =
                (off < got.flags ? Self.hasFlags : 0) | (off < got.count ? Self.hasCount : 0)
                | (off < got.cgroup ? Self.hasCgroup : 0)
        }
    }

    /// Counters for one chunk, kept in locals: stored properties of a class pay an
    /// exclusivity check on every access, which costs more than the work per page.
    private func accumulate(base: UInt64, from: Int, to n: Int, kernel: [KernelPageState]?) {
        let mask = PagemapEntry.pfnMask
        let pageSize = PagemapReader.pageSize
        var s = summary
        var anonExcl = anonExclusive
        var lastVA = self.lastVA, lastPFN = self.lastPFN, runLength = self.runLength
        var hidden = pfnHidden
        var headFlags: UInt64 = 0
        let headBit = KPageFlags.compoundHead.rawValue, tailBit = KPageFlags.compoundTail.rawValue
        let anonBit = KPageFlags.anon.rawValue, bit34 = KPageFlags.mappedToDisk.rawValue
        let rows = options.rows
        var builder = rowBuilder
        defer { rowBuilder = builder }
        bitCounts.withUnsafeMutableBufferPointer { bits in
            func countFlags(_ f: UInt64, times: UInt64) {
                var b = f
                while b != 0 {
                    bits[b.trailingZeroBitCount] &+= times
                    b &= b - 1
                }
                if f & anonBit != 0 && f & bit34 != 0 { anonExcl &+= times }
            }
            func countEntryBits(_ e: UInt64, times: UInt64) {
                if e & (1 << 58) != 0 {
                    s.guardRegion &+= times
                } else if e & (1 << 62) != 0 && e & (1 << 63) == 0 {
                    s.swapped &+= times
                }
                if e & (1 << 61) != 0 { s.fileOrShared &+= times }
                if e & (1 << 56) != 0 { s.exclusive &+= times }
                if e & (1 << 55) != 0 { s.softDirty &+= times }
                if e & (1 << 57) != 0 { s.uffdWP &+= times }
            }
            var k = from
            while k < n {
                let e = entries[k]
                let va = base &+ (UInt64(k) << PagemapReader.pageShift)
                let v = valid[k]
                // A PMD-mapped huge page read at its head: when every tail entry is the head's
                // with the PFN counting up, count the block at once.
                if !rows, v & Self.blockHead != 0, v & Self.hasFlags != 0 {
                    let blockPages = Int(currentHugePages)
                    var same = k + blockPages <= n
                    if same {
                        var t = 1
                        while t < blockPages {
                            if entries[k + t] != e &+ UInt64(t) { same = false; break }
                            t += 1
                        }
                    }
                    if same {
                        let pfn = e & mask
                        let times = UInt64(blockPages)
                        s.present &+= times
                        if va == lastVA &+ pageSize && pfn == lastPFN &+ 1 {
                            runLength &+= times
                        } else {
                            s.physicalRuns &+= 1
                            runLength = times
                        }
                        if runLength > s.longestRunPages { s.longestRunPages = runLength }
                        lastVA = va &+ (times - 1) &* pageSize
                        lastPFN = pfn &+ times - 1
                        let f = flags[k]
                        headFlags = f
                        countFlags(f, times: 1)
                        countFlags((f & ~headBit) | tailBit, times: times - 1)
                        countEntryBits(e, times: times)
                        k += blockPages
                        continue
                    }
                }
                var pageFlags: UInt64? = nil
                if e & (1 << 63) != 0 {
                    s.present &+= 1
                    let pfn = e & mask
                    if pfn == 0 {
                        hidden = true
                    } else {
                        if va == lastVA &+ pageSize && pfn == lastPFN &+ 1 {
                            runLength &+= 1
                        } else {
                            s.physicalRuns &+= 1
                            runLength = 1
                        }
                        if runLength > s.longestRunPages { s.longestRunPages = runLength }
                        lastVA = va
                        lastPFN = pfn
                    }
                    if v & Self.inheritedFlags != 0 {
                        if v & Self.hasFlags != 0 { pageFlags = (headFlags & ~headBit) | tailBit }
                    } else if v & Self.hasFlags != 0 {
                        pageFlags = flags[k]
                        headFlags = flags[k]
                    }
                    if let f = pageFlags {
                        countFlags(f, times: 1)
                    } else {
                        s.flagsAvailable = false
                    }
                }
                countEntryBits(e, times: 1)
                if rows {
                    builder.add(
                        va: va, entry: e, flags: pageFlags, inherited: v & Self.inheritedFlags != 0,
                        mapcount: v & Self.hasCount != 0 ? counts[k] : nil,
                        cgroup: v & Self.hasCgroup != 0 ? cgroups[k] : nil,
                        kernel: Self.matching(kernel.flatMap { k < $0.count ? $0[k] : nil }, entry: e))
                }
                k += 1
            }
        }
        summary = s
        anonExclusive = anonExcl
        self.lastVA = lastVA
        self.lastPFN = lastPFN
        self.runLength = runLength
        pfnHidden = hidden
    }

    /// The module's answer for a page only if it describes the page pagemap showed: the
    /// target may have remapped it between the two reads, and a row must not take another
    /// page's refcount. Hidden PFNs (0 on either side) cannot be compared and are kept.
    static func matching(_ state: KernelPageState?, entry e: UInt64) -> KernelPageState? {
        guard let state, e >> 63 == 1 else { return nil }
        let pfn = e & PagemapEntry.pfnMask
        guard let kpfn = state.pfn, kpfn != 0, pfn != 0 else { return state }
        return kpfn == pfn ? state : nil
    }

    /// Fills the derived totals; call once after the last walk.
    func finishSummary() -> PageSummary {
        var s = summary
        s.notPresent = s.pages - s.present
        func count(_ f: KPageFlags) -> UInt64 { bitCounts[f.rawValue.trailingZeroBitCount] }
        s.locked = count(.mlocked)
        s.unevictable = count(.unevictable)
        s.thp = count(.thp)
        s.huge = count(.huge)
        s.ksm = count(.ksm)
        s.zero = count(.zeroPage)
        var named: [String: UInt64] = [:]
        for bit in 0..<64 where bitCounts[bit] > 0 {
            var n = bitCounts[bit]
            if bit == 34 {
                if anonExclusive > 0 { named["anon_exclusive"] = anonExclusive }
                n -= anonExclusive
                if n == 0 { continue }
            }
            named[KPageFlags.names[bit] ?? "bit\(bit)"] = n
        }
        s.flagCounts = named
        if pfnHidden { s.flagsAvailable = false }
        return s
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Walks the pages of VMA segments: pagemap in large preads (skipping holes with
/// PAGEMAP_SCAN where the kernel has it), kpageflags/kpagecount/kpagecgroup in one pread per
/// run of contiguous PFNs, a PMD-mapped huge page's flags once at its head; accumulates the
/// summary and, when asked, the rows.
final class PageWalker {
    static let chunkPages = 65536

    let pagemap: PagemapReader
    let tables: PhysicalPageReader
    let options: InspectOptions

    private let entries: UnsafeMutableBufferPointer<UInt64>
    private let flags: UnsafeMutableBufferPointer<UInt64>
    private let counts: UnsafeMutableBufferPointer<UInt64>
    private let cgroups: UnsafeMutableBufferPointer<UInt64>
    /// Per page: which of flags/count/cgroup were read, and whether flags come from a head.
    private let valid: UnsafeMutableBufferPointer<UInt8>
    private static let hasFlags: UInt8 = 1, hasCount: UInt8 = 2, hasCgroup: UInt8 = 4, inheritedFlags: UInt8 = 8

    private(set) var summary = PageSummary()
    private var bitCounts = [UInt64](repeating: 0, count: 64)
    private var anonExclusive: UInt64 = 0
    private var rowBuilder: PageRowBuilder
    private(set) var pfnHidden = false
    private(set) var pagesRead: UInt64 = 0
    private(set) var scanUsed = false
    private(set) var inheritedPages: UInt64 = 0
    private var lastVA: UInt64 = .max
    private var lastPFN: UInt64 = .max
    private var runLength: UInt64 = 0

    init(pagemap: PagemapReader, tables: PhysicalPageReader, options: InspectOptions) {
        self.pagemap = pagemap
        self.tables = tables
        self.options = options
        let n = Self.chunkPages
        entries = .allocate(capacity: n)
        flags = .allocate(capacity: n)
        counts = .allocate(capacity: n)
        cgroups = .allocate(capacity: n)
        valid = .allocate(capacity: n)
        rowBuilder = PageRowBuilder(collapse: options.collapse)
    }

    deinit {
        entries.deallocate()
        flags.deallocate()
        counts.deallocate()
        cgroups.deallocate()
        valid.deallocate()
    }

    /// `hugePages`: pages per huge page in this VMA (512 for THP, KernelPageSize/4K for hugetlb).
    func walk(_ seg: Segment, hugePages: UInt64) throws(PinctlError) {
        summary.pages += seg.pages
        var regions: [PagemapReader.Region]? = nil
        if options.useScan {
            regions = try pagemap.scanPopulated(start: seg.start, end: seg.end)
            if regions != nil { scanUsed = true }
        }
        let huge = (regions ?? []).filter(\.huge)
        // Summary-only walks read just the populated regions; rows need every entry.
        let pieces: [(UInt64, UInt64)]
        if let regions, !options.rows {
            pieces = regions.map { ($0.start, $0.end) }
        } else {
            pieces = [(seg.start, seg.end)]
        }
        var hugeCursor = 0
        for (start, end) in pieces {
            var va = start
            while va < end {
                let want = Int(min(UInt64(Self.chunkPages), (end - va) >> PagemapReader.pageShift))
                let got = try pagemap.read(start: va, into: UnsafeMutableBufferPointer(rebasing: entries[0..<want]))
                if got < want {
                    try checkAlive()
                    // Above the task size (vsyscall) pagemap has no entries: report them absent.
                    for k in got..<want { entries[k] = 0 }
                }
                readTables(base: va, n: want, huge: huge, hugeCursor: &hugeCursor, hugePages: hugePages)
                accumulate(base: va, n: want)
                pagesRead += UInt64(want)
                va += UInt64(want) << PagemapReader.pageShift
            }
        }
    }

    /// Reads the PFN tables for every run of contiguous PFNs in the chunk.
    private func readTables(base: UInt64, n: Int, huge: [PagemapReader.Region], hugeCursor: inout Int, hugePages: UInt64) {
        let mask = PagemapEntry.pfnMask
        var i = 0
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
        if options.collapse && !huge.isEmpty && hugePages > 1 {
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
        let got = tables.read(
            pfn: firstPFN, n: j - i, flags: flags.baseAddress! + i, count: counts.baseAddress! + i,
            cgroup: cgroups.baseAddress! + i)
        for k in i..<j {
            let off = k - i
            valid[k] =
                (off < got.flags ? Self.hasFlags : 0) | (off < got.count ? Self.hasCount : 0)
                | (off < got.cgroup ? Self.hasCgroup : 0)
        }
    }

    private func accumulate(base: UInt64, n: Int) {
        let mask = PagemapEntry.pfnMask
        var headFlags: UInt64 = 0
        for k in 0..<n {
            let e = entries[k]
            let va = base &+ (UInt64(k) << PagemapReader.pageShift)
            let present = e & (1 << 63) != 0
            var pageFlags: UInt64? = nil
            if present {
                summary.present += 1
                let pfn = e & mask
                if pfn == 0 {
                    pfnHidden = true
                    valid[k] = 0
                } else {
                    if va == lastVA &+ PagemapReader.pageSize && pfn == lastPFN &+ 1 {
                        runLength += 1
                    } else {
                        summary.physicalRuns += 1
                        runLength = 1
                    }
                    if runLength > summary.longestRunPages { summary.longestRunPages = runLength }
                    lastVA = va
                    lastPFN = pfn
                }
                let v = valid[k]
                if v & Self.inheritedFlags != 0 {
                    if v & Self.hasFlags != 0 {
                        pageFlags = (headFlags & ~KPageFlags.compoundHead.rawValue) | KPageFlags.compoundTail.rawValue
                    }
                } else if v & Self.hasFlags != 0 {
                    pageFlags = flags[k]
                    headFlags = flags[k]
                }
                if let f = pageFlags {
                    var bits = f
                    while bits != 0 {
                        bitCounts[bits.trailingZeroBitCount] += 1
                        bits &= bits - 1
                    }
                    if f & KPageFlags.anon.rawValue != 0 && f & KPageFlags.mappedToDisk.rawValue != 0 { anonExclusive += 1 }
                } else {
                    summary.flagsAvailable = false
                }
            } else {
                valid[k] = 0
            }
            let pm = PagemapEntry(raw: e)
            if pm.guardRegion { summary.guardRegion += 1 } else if pm.swapped { summary.swapped += 1 }
            if pm.fileOrSharedAnon { summary.fileOrShared += 1 }
            if pm.exclusive { summary.exclusive += 1 }
            if pm.softDirty { summary.softDirty += 1 }
            if pm.uffdWP { summary.uffdWP += 1 }
            if options.rows {
                let v = valid[k]
                rowBuilder.add(
                    va: va, entry: e, flags: pageFlags, inherited: v & Self.inheritedFlags != 0,
                    mapcount: v & Self.hasCount != 0 ? counts[k] : nil,
                    cgroup: v & Self.hasCgroup != 0 ? cgroups[k] : nil)
            }
        }
    }

    private func checkAlive() throws(PinctlError) {
        if kill(pagemap.process.pid, 0) != 0 && errno == ESRCH {
            throw .processNotFound(pid: pagemap.process.pid)
        }
    }

    /// The rows, closed; call once after the last walk.
    func finishRows() -> [PageRow] { rowBuilder.finish() }

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

/// Walks frames by PFN through /proc/kpageflags, kpagecount and kpagecgroup in large
/// batched preads (64Ki frames, as page-types reads), run-length encoding identical
/// neighbours so that filtering, the summary and the rows cost per run, not per frame.
/// Rows go to `rowSink` a batch at a time from a fixed buffer: memory is bounded by the
/// batch, not the range.
final class FrameWalker {
    static let batch = 64 << 10

    let tables: PhysicalPageReader
    let filter: FlagExpression?
    let cgroup: UInt64?
    let unmovableOnly: Bool
    let wantRows: Bool
    let collapse: Bool
    let readCount: Bool
    let readCgroup: Bool
    let blockPages: UInt64
    /// Blocks onlined to ZONE_MOVABLE (by index): runs break at every block boundary so that
    /// a run's holds can follow its block's zone.
    var movableBlocks: Set<UInt64> = []
    /// Frames selected, for --owners.
    var selection: PFNBitmap?
    var rowSink: ((UnsafeBufferPointer<FrameRow>) throws(PinctlError) -> Void)?
    /// The module's per-frame state (refcount, DMA-pinned) for [pfn, pfn+n), when loaded.
    var frameQuery: ((UInt64, Int) throws(PinctlError) -> [KernelFrameState])?

    private let flagsBuf: UnsafeMutablePointer<UInt64>
    private let countBuf: UnsafeMutablePointer<UInt64>
    private let cgroupBuf: UnsafeMutablePointer<UInt64>
    private let rows: UnsafeMutablePointer<FrameRow>
    private var rowCount = 0

    // The open run.
    private var runOpen = false
    private var runStart: UInt64 = 0
    private var runLen: UInt64 = 0
    private var runFlags: UInt64 = 0
    private var runMapcount: UInt64 = 0
    private var runCgroup: UInt64 = 0
    private var runRef: UInt32 = 0
    private var runPinned = false
    private var runKernel = false

    // Totals.
    private(set) var framesInRange: UInt64 = 0
    private(set) var framesRead: UInt64 = 0
    private(set) var selected: UInt64 = 0
    private(set) var unmovable: UInt64 = 0
    private var bitCounts = [UInt64](repeating: 0, count: 64)
    private var holdCounts = [UInt64](repeating: 0, count: FrameHolds.all.count)
    private var combos: [UInt64: UInt64] = [:]
    /// Per memory block of [firstBlock, firstBlock + blockCount): selected, unmovable, then
    /// a count per hold bit (`FrameHolds.all` is in bit order), `stride` counters each.
    private var blockCounts: [UInt64] = []
    private var firstBlock: UInt64 = 0
    private var blockCount: UInt64 = 0
    private static let stride = 2 + FrameHolds.all.count
    /// With `phys --map`: selected frames per `MapClass`, per cell of `cellPages` frames from
    /// PFN `cellBase`, `MapClass.allCases.count` counters each.
    private var cellPages: UInt64 = 0
    private var cellBase: UInt64 = 0
    private var cellCount: UInt64 = 0
    private var cellCounts: [UInt64] = []
    /// Where the kernel's table ended, when a range reached past it.
    private(set) var tableEnd: UInt64?
    private(set) var kernelStateUsed = false

    init(
        tables: PhysicalPageReader, filter: FlagExpression?, cgroup: UInt64?, unmovableOnly: Bool, rows: Bool, collapse: Bool,
        blockPages: UInt64, needMapcount: Bool, span: (start: UInt64, end: UInt64)
    ) {
        self.tables = tables
        self.filter = filter
        self.cgroup = cgroup
        self.unmovableOnly = unmovableOnly
        self.wantRows = rows
        self.collapse = collapse
        self.blockPages = max(blockPages, 1)
        firstBlock = span.start / self.blockPages
        blockCount = span.end > span.start ? (span.end - 1) / self.blockPages - firstBlock + 1 : 0
        blockCounts = [UInt64](repeating: 0, count: Int(blockCount) * Self.stride)
        readCount = tables.hasCount && (rows || needMapcount)
        readCgroup = tables.hasCgroup && (rows || cgroup != nil)
        flagsBuf = .allocate(capacity: Self.batch)
        countBuf = .allocate(capacity: Self.batch)
        cgroupBuf = .allocate(capacity: Self.batch)
        self.rows = .allocate(capacity: Self.batch + 1)
    }

    deinit {
        flagsBuf.deallocate()
        countBuf.deallocate()
        cgroupBuf.deallocate()
        rows.deallocate()
    }

    /// Counts frames by class in cells of `pages` frames over [span.start, span.end) (cells
    /// aligned to `pages`), for the map; at most `PhysMap.maxCells` cells.
    func countCells(pages: UInt64, span: (start: UInt64, end: UInt64)) {
        guard pages > 0, span.end > span.start else { return }
        cellPages = pages
        cellBase = span.start / pages
        cellCount = min((span.end - 1) / pages - cellBase + 1, UInt64(PhysMap.maxCells))
        cellCounts = [UInt64](repeating: 0, count: Int(cellCount) * MapClass.allCases.count)
    }

    /// Cell `index` (PFN index * cellPages on) frames per class, or nil outside the span.
    func cell(_ index: UInt64) -> [UInt64]? {
        guard cellPages > 0, index >= cellBase, index - cellBase < cellCount else { return nil }
        let k = MapClass.allCases.count
        let base = Int(index - cellBase) * k
        return Array(cellCounts[base..<base + k])
    }

    /// Walks frames [start, start+count).
    func walk(start: UInt64, count: UInt64) throws(PinctlError) {
        framesInRange &+= count
        guard tables.hasFlags else { return }
        var pfn = start
        let end = start + count
        while pfn < end {
            let n = Int(min(UInt64(Self.batch), end - pfn))
            let got = tables.read(
                pfn: pfn, n: n, flags: flagsBuf, count: readCount ? countBuf : nil, cgroup: readCgroup ? cgroupBuf : nil)
            let m = got.flags
            if m == 0 {
                tableEnd = pfn
                break
            }
            // A table shorter than kpageflags (should not happen): its missing entries read 0.
            if readCount && got.count < m { (countBuf + got.count).update(repeating: 0, count: m - got.count) }
            if readCgroup && got.cgroup < m { (cgroupBuf + got.cgroup).update(repeating: 0, count: m - got.cgroup) }
            let states = try frameQuery?(pfn, m)
            if let states, !states.isEmpty { kernelStateUsed = true }
            framesRead &+= UInt64(m)
            if let states, states.count == m {
                for i in 0..<m {
                    let s = states[i]
                    add(
                        pfn + UInt64(i), flagsBuf[i], readCount ? countBuf[i] : 0, readCgroup ? cgroupBuf[i] : 0, s.refcount,
                        s.dmaPinned, s.present)
                }
            } else {
                // The hot loop, on locals (class properties cost exclusivity checks): the
                // length of each stretch of identical neighbours, then one call per stretch.
                let fb = flagsBuf, cb = countBuf, gb = cgroupBuf
                let withCount = readCount, withCgroup = readCgroup
                let perFrame = wantRows && !collapse
                var i = 0
                while i < m {
                    let f = fb[i]
                    let c = withCount ? cb[i] : 0
                    let g = withCgroup ? gb[i] : 0
                    var j = i + 1
                    if !perFrame {
                        while j < m && fb[j] == f && (!withCount || cb[j] == c) && (!withCgroup || gb[j] == g) { j += 1 }
                    }
                    stretch(pfn + UInt64(i), UInt64(j - i), f, c, g)
                    i = j
                }
            }
            if m < n {
                tableEnd = pfn + UInt64(m)
                break
            }
            pfn += UInt64(m)
            try drain()
        }
        close()
        try drain()
    }

    /// `n` identical frames from `pfn` (no module state).
    private func stretch(_ pfn: UInt64, _ n: UInt64, _ f: UInt64, _ c: UInt64, _ g: UInt64) {
        if !movableBlocks.isEmpty {
            // Split at block boundaries: each part is its own run from the boundary on.
            let boundary = (pfn / blockPages + 1) * blockPages
            if pfn + n > boundary {
                stretch(pfn, boundary - pfn, f, c, g)
                close()
                stretch(boundary, pfn + n - boundary, f, c, g)
                return
            }
            if pfn % blockPages == 0 { close() }
        }
        if runOpen && !runKernel && f == runFlags && c == runMapcount && g == runCgroup && (collapse || !wantRows) {
            runLen &+= n
            return
        }
        close()
        open(pfn, f, c, g, 0, false, false)
        runLen = n
    }

    @inline(__always)
    private func add(_ pfn: UInt64, _ f: UInt64, _ c: UInt64, _ g: UInt64, _ ref: UInt32, _ pinned: Bool, _ known: Bool) {
        if !movableBlocks.isEmpty && pfn % blockPages == 0 { close() }
        if runOpen && f == runFlags && c == runMapcount && g == runCgroup && runKernel == known && ref == runRef
            && pinned == runPinned && (collapse || !wantRows)
        {
            runLen &+= 1
            return
        }
        close()
        open(pfn, f, c, g, ref, pinned, known)
    }

    @inline(__always)
    private func open(_ pfn: UInt64, _ f: UInt64, _ c: UInt64, _ g: UInt64, _ ref: UInt32, _ pinned: Bool, _ known: Bool) {
        runOpen = true
        runStart = pfn
        runLen = 1
        runFlags = f
        runMapcount = c
        runCgroup = g
        runRef = ref
        runPinned = pinned
        runKernel = known
    }

    /// Accounts the open run and makes its row.
    private func close() {
        guard runOpen else { return }
        runOpen = false
        let n = runLen
        if let filter, !filter.matches(PageTypesFlags.expand(runFlags)) { return }
        if let cgroup, runCgroup != cgroup { return }
        let holds = FrameHolds.of(
            flags: runFlags, mapcount: readCount ? runMapcount : nil, refcount: runKernel ? runRef : nil, dmaPinned: runPinned,
            movableZone: !movableBlocks.isEmpty && movableBlocks.contains(runStart / blockPages))
        let isUnmovable = holds.isUnmovable
        if unmovableOnly && !isUnmovable { return }
        selected &+= n
        if isUnmovable { unmovable &+= n }
        var bits = runFlags
        while bits != 0 {
            bitCounts[bits.trailingZeroBitCount] &+= n
            bits &= bits &- 1
        }
        var hb = holds.rawValue
        while hb != 0 {
            holdCounts[hb.trailingZeroBitCount] &+= n
            hb &= hb &- 1
        }
        combos[runFlags, default: 0] &+= n
        // Per memory block, splitting the run at block boundaries.
        var p = runStart
        let end = runStart + n
        while p < end {
            let b = p / blockPages
            let upto = min(end, (b + 1) * blockPages)
            if b >= firstBlock && b - firstBlock < blockCount {
                let base = Int(b - firstBlock) * Self.stride
                blockCounts[base] &+= upto - p
                if isUnmovable {
                    blockCounts[base + 1] &+= upto - p
                    var hb = holds.rawValue
                    while hb != 0 {
                        blockCounts[base + 2 + hb.trailingZeroBitCount] &+= upto - p
                        hb &= hb &- 1
                    }
                }
            }
            p = upto
        }
        if cellPages > 0 { tallyCells(MapClass.of(holds: holds, flags: runFlags)) }
        selection?.set(runStart, n)
        guard wantRows else { return }
        let row = FrameRow(
            pfn: runStart, count: n, flags: runFlags, mapcount: runMapcount, cgroup: runCgroup, refcount: runRef, holds: holds,
            hasMapcount: readCount, hasCgroup: readCgroup, hasKernelState: runKernel, dmaPinned: runPinned)
        if collapse {
            (rows + rowCount).initialize(to: row)
            rowCount += 1
        } else {
            // Rows of one frame each (runs never grow past one frame then).
            (rows + rowCount).initialize(to: row)
            rowCount += 1
        }
    }

    /// Adds the closed run to its cells, split at cell boundaries.
    private func tallyCells(_ cls: MapClass) {
        let k = MapClass.allCases.count
        var p = runStart
        let end = runStart + runLen
        while p < end {
            let c = p / cellPages
            let upto = min(end, (c + 1) * cellPages)
            if c >= cellBase && c - cellBase < cellCount { cellCounts[Int(c - cellBase) * k + cls.rawValue] &+= upto - p }
            p = upto
        }
    }

    private func drain() throws(PinctlError) {
        guard rowCount > 0 else { return }
        defer { rowCount = 0 }
        try rowSink?(UnsafeBufferPointer(start: rows, count: rowCount))
    }

    /// The totals, with names for the running kernel.
    func summary(names: KPageFlagNames) -> FrameSummary {
        var s = FrameSummary()
        s.framesInRange = framesInRange
        s.framesRead = framesRead
        s.selected = selected
        s.unmovable = unmovable
        s.flagsAvailable = tables.hasFlags
        for (bit, n) in bitCounts.enumerated() where n > 0 { s.flagCounts[names.table[bit], default: 0] += n }
        for (k, n) in holdCounts.enumerated() where n > 0 { s.holds[FrameHolds.all[k].1] = n }
        s.combinations = combos.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
            FlagCombination(
                kpageflags: hex($0.key), pageTypesFlags: hex(PageTypesFlags.expand($0.key)), pages: $0.value,
                names: KPageFlags(rawValue: $0.key).names(using: names))
        }
        return s
    }

    /// Per memory block tallies, by block index.
    func blockTallies() -> [UInt64: (selected: UInt64, unmovable: UInt64, holds: [String: UInt64])] {
        var out: [UInt64: (selected: UInt64, unmovable: UInt64, holds: [String: UInt64])] = [:]
        for k in 0..<Int(blockCount) {
            let base = k * Self.stride
            guard blockCounts[base] > 0 else { continue }
            var h: [String: UInt64] = [:]
            for (i, name) in FrameHolds.all.map(\.1).enumerated() where blockCounts[base + 2 + i] > 0 {
                h[name] = blockCounts[base + 2 + i]
            }
            out[firstBlock + UInt64(k)] = (blockCounts[base], blockCounts[base + 1], h)
        }
        return out
    }
}

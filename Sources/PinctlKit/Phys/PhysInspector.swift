/// How `phys` walks.
public struct PhysOptions: Sendable {
    /// Per-frame rows (text --pages, JSON).
    public var rows: Bool
    /// Contiguous identical frames as one row (page-types -l); false: a row per frame (-L).
    public var collapse: Bool
    public var flags: FlagExpression?
    public var cgroup: UInt64?
    /// Only frames that would keep their block from going offline.
    public var unmovableOnly: Bool
    public var owners: Bool
    public var useScan: Bool
    /// Count the frames by class for `phys --map`.
    public var map = false

    public init(
        rows: Bool = false, collapse: Bool = true, flags: FlagExpression? = nil, cgroup: UInt64? = nil, unmovableOnly: Bool = false,
        owners: Bool = false, useScan: Bool = true
    ) {
        self.rows = rows
        self.collapse = collapse
        self.flags = flags
        self.cgroup = cgroup
        self.unmovableOnly = unmovableOnly
        self.owners = owners
        self.useScan = useScan
    }
}

/// `pinctl phys`: physical memory by PFN, from /proc/kpageflags, kpagecount, kpagecgroup,
/// /proc/zoneinfo and /sys/devices/system/memory, and with --owners every process's pagemap.
public final class PhysInspector {
    let tables: PhysicalPageReader
    let zones: [ZoneSpan]
    let blocks: MemoryBlocks?

    public init(tables: PhysicalPageReader = PhysicalPageReader()) throws(PinctlError) {
        self.tables = tables
        zones = try ZoneSpans.read()
        blocks = MemoryBlocks()
    }

    /// The end of the highest populated zone: frames at or above it do not exist.
    public var maxPFN: UInt64 { zones.filter { $0.spanned > 0 }.map(\.endPFN).max() ?? 0 }

    /// The frame ranges `target` names, clamped to the end of memory.
    public func resolve(_ target: PhysTarget) throws(PinctlError) -> (ranges: [FrameRange], notes: [String]) {
        let top = maxPFN
        var notes: [String] = []
        switch target {
        case .all:
            return ([FrameRange(start: 0, count: top, label: "all")], notes)
        case .frames(let start, let count):
            guard start < top else {
                throw .invalidInput(
                    "phys target \(target): PFN \(hex(start)) is past the last frame (\(hex(top - 1)), from /proc/zoneinfo)")
            }
            let end = min(start + count, top)
            if end < start + count { notes.append("the range was cut at the end of memory, PFN \(hex(top))") }
            return ([FrameRange(start: start, count: end - start, label: "frames")], notes)
        case .block(let n):
            guard let blocks else {
                throw .invalidInput(
                    "phys target \(target): this kernel has no memory blocks (/sys/devices/system/memory: CONFIG_MEMORY_HOTPLUG)")
            }
            guard blocks.block(n) != nil else {
                throw .invalidInput(
                    "phys target \(target): no memory block \(n) (/sys/devices/system/memory/memory\(n)); blocks hold \(blocks.blockPages) frames, the last frame is \(hex(top - 1))"
                )
            }
            return ([FrameRange(start: n * blocks.blockPages, count: blocks.blockPages, label: "block \(n)")], notes)
        case .zone(let name, let node):
            let matching = zones.filter { $0.zone.lowercased() == name.lowercased() && (node == nil || $0.node == node) }
            guard !matching.isEmpty else {
                let names = Set(zones.map(\.zone)).sorted().map(TerminalEscaping.escape).joined(separator: ", ")
                throw .invalidInput("phys target \(target): no such zone\(node.map { " on node \($0)" } ?? ""); this kernel has \(names)")
            }
            let spanning = matching.filter { $0.spanned > 0 }
            guard !spanning.isEmpty else {
                throw .invalidInput(
                    "phys target \(target): the zone spans no frames\(name.lowercased() == "movable" ? " (boot with movablecore= or online memory blocks as movable to have one)" : "")"
                )
            }
            if matching.count > 1 || spanning.contains(where: { $0.present < $0.spanned }) {
                notes.append("a zone's span (start_pfn, spanned) includes holes, and after memory hotplug frames of other zones")
            }
            return (
                spanning.map {
                    FrameRange(start: $0.startPFN, count: $0.spanned, label: "node \($0.node) \(TerminalEscaping.escape($0.zone))")
                }, notes
            )
        case .node(let n):
            let mine = zones.filter { $0.node == n && $0.spanned > 0 }
            guard let lo = mine.map(\.startPFN).min(), let hi = mine.map(\.endPFN).max() else {
                let nodes = Set(zones.map(\.node)).sorted().map(String.init).joined(separator: ", ")
                throw .invalidInput("phys target \(target): no node \(n) with memory; nodes: \(nodes)")
            }
            return ([FrameRange(start: lo, count: hi - lo, label: "node \(n)")], notes)
        }
    }

    /// The module, when it is loaded and answers QUERY_FRAMES; nil (with a note when it is
    /// loaded but cannot) otherwise.
    static func openHelper() -> (KernelHelper?, String?) {
        do {
            guard let h = try KernelHelper.open() else { return (nil, nil) }
            _ = try h.frameLimit()
            return (h, nil)
        } catch {
            return (nil, "no refcounts or DMA-pinned state from the kernel helper: \(error.description)")
        }
    }

    /// A map's cell: a memory block, or 2 MiB when the target is a single block.
    func mapCellPages(_ target: PhysTarget) -> UInt64 {
        let block = blocks?.blockPages ?? 1 << 15
        if case .block = target { return min(block, (2 << 20) >> PagemapReader.pageShift) }
        return block
    }

    /// The map's rows: one per range, and for `all` one per populated zone, so that a row
    /// says where it is; each row's cells are those its frames fall in.
    func mapRows(_ target: PhysTarget, ranges: [FrameRange], cellPages: UInt64, walker: FrameWalker) -> [MapRow] {
        var labelled = ranges.map { ($0.label, $0.start, $0.end) }
        if case .all = target {
            labelled = zones.filter { $0.spanned > 0 }.sorted { ($0.startPFN, $0.node) < ($1.startPFN, $1.node) }.map {
                ("node \($0.node) \(TerminalEscaping.escape($0.zone))", $0.startPFN, $0.endPFN)
            }
        }
        return labelled.compactMap { (label, start, end) in
            guard end > start else { return nil }
            var cells: [MapCell] = []
            var c = start / cellPages
            while c * cellPages < end {
                if let frames = walker.cell(c) { cells.append(MapCell(startPFN: c * cellPages, pages: cellPages, frames: frames)) }
                c += 1
            }
            return MapRow(label: label, cells: cells)
        }
    }

    /// Walks the target into `sink` (rows, then owners) and returns the rest of the report.
    public func run(_ target: PhysTarget, options: PhysOptions, sink: any PhysSink) throws(PinctlError) -> PhysReport {
        var (ranges, notes) = try resolve(target)
        let (helper, helperNote) = Self.openHelper()
        let kernel = KernelRelease.current()
        try sink.begin(PhysHead(target: target.description, kernel: kernel, ranges: ranges))
        let lo = ranges.map(\.start).min() ?? 0
        let hi = ranges.map(\.end).max() ?? 0
        let walker = FrameWalker(
            tables: tables, filter: options.flags, cgroup: options.cgroup, unmovableOnly: options.unmovableOnly, rows: options.rows,
            collapse: options.collapse, blockPages: blocks?.blockPages ?? 1 << 15, needMapcount: helper != nil, span: (lo, hi))
        if options.rows { walker.rowSink = { (rows) throws(PinctlError) in try sink.rows(rows) } }
        // The blocks onlined to ZONE_MOVABLE, read once before the walk (their facts are
        // read again for the report after it).
        let blockFacts = ranges.flatMap { blocks?.blocks(start: $0.start, count: $0.count) ?? [] }
        walker.movableBlocks = Set(blockFacts.filter { $0.state == "online" && $0.validZones == ["Movable"] }.map(\.index))
        // The module's refcount and DMA-pinned state per frame. A refusal (not root) costs
        // the report that state, with a note, not the report.
        var helperRefused: String? = helperNote
        if let helper {
            walker.frameQuery = { (pfn, n) throws(PinctlError) in
                if helperRefused != nil { return [] }
                do throws(PinctlError) {
                    return try helper.queryFrames(firstPFN: pfn, count: n)
                } catch {
                    guard case .permissionDenied(let why) = error else { throw error }
                    helperRefused = "no refcounts or DMA-pinned state from the kernel helper: \(why)"
                    return []
                }
            }
        }
        if options.owners { walker.selection = PFNBitmap(base: lo, count: hi - lo) }
        let cellPages = mapCellPages(target)
        if options.map {
            let cells = (hi - lo + cellPages - 1) / cellPages
            guard cells <= UInt64(PhysMap.maxCells) else {
                throw .invalidInput(
                    "phys --map \(target): \(cells) cells are more than a map draws (\(PhysMap.maxCells)); give a zone:, node: or block: target"
                )
            }
            walker.countCells(pages: cellPages, span: (lo, hi))
        }
        for r in ranges { try walker.walk(start: r.start, count: r.count) }
        if let end = walker.tableEnd { notes.append("/proc/kpageflags ends at PFN \(hex(end)): frames past it were not read") }
        let names = KPageFlagNames.running
        let summary = walker.summary(names: names)

        var ownerTotals: OwnerTotals?
        if options.owners, let selection = walker.selection {
            let map = ReverseMap(selection: selection)
            try map.run(useScan: options.useScan) { (runs) throws(PinctlError) in try sink.owners(runs) }
            let t = map.totals
            ownerTotals = OwnerTotals(
                processes: t.processes, skipped: t.skipped, processesOwning: t.processesOwning, framesSelected: selection.setCount,
                framesMapped: t.framesMapped, mappings: t.mappings, usedPagemapScan: t.scanUsed)
            if t.pfnHidden { notes.append("some pagemap entries hid their PFN (run as root with CAP_SYS_ADMIN): their owners are missing") }
            notes.append(
                "owners: frames mapped by no process are kernel memory, page cache nobody maps, or free; a process that maps a frame only through a device (VM_PFNMAP) is not seen"
            )
        }

        var blockReports: [BlockReport] = []
        if let blocks {
            let tallies = walker.blockTallies()
            for r in ranges {
                for b in blocks.blocks(start: r.start, count: r.count) where !blockReports.contains(where: { $0.block.index == b.index }) {
                    let t = tallies[b.index]
                    blockReports.append(
                        BlockReport(block: b, selected: t?.selected ?? 0, unmovable: t?.unmovable ?? 0, holds: t?.holds ?? [:]))
                }
            }
        }
        if !tables.hasCount { notes.append("no mapcounts: /proc/kpagecount unreadable") }
        if let why = helperRefused { notes.append(why) }
        if !walker.kernelStateUsed {
            notes.append(
                "pinned frames are not told apart without the KernelHelper module (kpagecount is the mapcount, not the refcount): pinned user pages read as movable"
            )
        }
        var map: PhysMap?
        if options.map {
            map = PhysMap(
                cellPages: cellPages,
                cellUnit: cellPages == blocks?.blockPages ? "block" : humanBytes(cellPages << PagemapReader.pageShift),
                rows: mapRows(target, ranges: ranges, cellPages: cellPages, walker: walker), pinnedKnown: walker.kernelStateUsed)
        }
        return PhysReport(
            target: target.description, kernel: kernel, ranges: ranges, map: map, flags: options.flags?.text ?? [], cgroup: options.cgroup,
            unmovableOnly: options.unmovableOnly, blockBytes: blocks.map { $0.blockPages << PagemapReader.pageShift },
            blocks: blockReports, summary: summary, owners: ownerTotals,
            pageTablesUnavailable: tables.unavailable.map { "\($0.file): \($0.reason)" }, kernelHelper: walker.kernelStateUsed,
            notes: notes)
    }
}

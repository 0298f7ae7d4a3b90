/// `pinctl phys` as text, streamed: the target line, the `frames:` table (with --pages) a
/// batch at a time, the `owners:` table (with --owners) a process at a time, then the
/// memory blocks, the summary, the flag combinations and notes, known only at the end.
public final class PhysTextWriter: PhysWriter {
    private var out: OutputBuffer
    private let rendering = FrameRowRendering()
    private let showFrames: Bool
    private let colour: Bool
    private var framesHeader = false
    private var ownersHeader = false

    public init(fd: Int32 = 1, showFrames: Bool, colour: Bool = false) {
        out = OutputBuffer(fd: fd)
        self.showFrames = showFrames
        self.colour = colour
    }

    deinit { out.deallocate() }

    public func begin(_ h: PhysHead) throws(PinctlError) {
        let ranges = h.ranges.map { "\($0.label) \(hex($0.start))-\(hex($0.end))" }.joined(separator: ", ")
        try out.string("phys \(TextRendering.esc(h.target))  \(ranges)  kernel \(TextRendering.esc(h.kernel))\n")
        try out.flush()
    }

    public func rows(_ rows: UnsafeBufferPointer<FrameRow>) throws(PinctlError) {
        guard showFrames else { return }
        let rendering = rendering
        try out.header(FrameRowRendering.textHeader, written: &framesHeader)
        try out.rows(rows, maxRowBytes: FrameRowRendering.maxRowBytes) { r, o in rendering.text(r, into: &o) }
    }

    public func owners(_ runs: [OwnerRun]) throws(PinctlError) {
        try out.header(FrameRowRendering.ownersHeader, written: &ownersHeader)
        for r in runs { try rendering.text(r, into: &out) }
        try out.flush()
    }

    public func finish(_ r: PhysReport) throws(PinctlError) {
        if let map = r.map {
            try out.string(PhysMapRendering.text(map, colour: colour) + Self.notes(r))
        } else {
            try out.string(Self.tail(r))
        }
        try out.flush()
    }

    public func fail(_ error: PinctlError) -> Bool {
        try? out.flush()
        return false
    }

    /// Blocks, summary, combinations, owners' totals and notes.
    static func tail(_ r: PhysReport) -> String {
        let esc = TextRendering.esc
        var s = ""
        func holds(_ h: [String: UInt64]) -> String {
            FrameHolds.all.compactMap { (_, name) in h[name].map { "\(name) \($0)" } }.joined(separator: ", ")
        }
        if let bytes = r.blockBytes, !r.blocks.isEmpty {
            s += "memory blocks (\(humanBytes(bytes)) each):\n"
            s += "block   first pfn         state          removable  valid_zones     selected    unmovable   why\n"
            for b in r.blocks {
                var line = TextRendering.pad("\(b.block.index)", 8) + TextRendering.pad(hex(b.block.startPFN), 18)
                line += TextRendering.pad(esc(b.block.state ?? "-"), 15)
                line += TextRendering.pad(b.block.removable.map { $0 ? "1" : "0" } ?? "-", 11)
                line += TextRendering.pad(b.block.validZones.isEmpty ? "-" : b.block.validZones.joined(separator: ","), 16)
                line += TextRendering.pad("\(b.selected)", 12) + TextRendering.pad("\(b.unmovable)", 12)
                line += b.unmovable == 0 ? "-" : holds(b.holds)
                s += line + "\n"
            }
        }
        let sum = r.summary
        s += "summary: \(sum.framesInRange) frames (\(humanBytes(sum.framesInRange &* PagemapReader.pageSize))), \(sum.framesRead) read"
        if !r.flags.isEmpty || r.cgroup != nil || r.unmovableOnly {
            var by: [String] = r.flags.map { "--flags \(esc($0))" }
            if let c = r.cgroup { by.append("--cgroup @\(c)") }
            if r.unmovableOnly { by.append("--unmovable") }
            s += ", \(sum.selected) selected (\(humanBytes(sum.bytesSelected))) by \(by.joined(separator: " "))"
        }
        s += "\n    unmovable \(sum.unmovable) (\(humanBytes(sum.unmovable &* PagemapReader.pageSize)))"
        if !sum.holds.isEmpty { s += ": \(holds(sum.holds))" }
        s += "\n"
        if !sum.flagCounts.isEmpty {
            let ordered = sum.flagCounts.sorted {
                (KPageFlags.bit(named: $0.key) ?? 99, $0.key) < (KPageFlags.bit(named: $1.key) ?? 99, $1.key)
            }
            s += "    flags " + ordered.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        if !sum.combinations.isEmpty {
            s += "flag combinations (kpageflags; page-types -r shows the same frames under pageTypesFlags in --json):\n"
            s += "kpageflags            frames        MB  flags\n"
            for c in sum.combinations {
                s += TextRendering.pad(c.kpageflags, 22) + TextRendering.pad("\(c.pages)", 11)
                s +=
                    TextRendering.pad("\((c.pages &* PagemapReader.pageSize) >> 20)", 6)
                    + (c.names.isEmpty ? "-" : c.names.joined(separator: ",")) + "\n"
            }
        }
        if let o = r.owners {
            s +=
                "owners: \(o.processesOwning) processes map \(o.framesMapped) of \(o.framesSelected) selected frames (\(o.mappings) page mappings); \(o.processes) processes walked, \(o.skipped) skipped\(o.usedPagemapScan ? " (PAGEMAP_SCAN)" : "")\n"
        }
        return s + notes(r)
    }

    /// The unavailable tables and the notes, a line each.
    static func notes(_ r: PhysReport) -> String {
        var s = ""
        for u in r.pageTablesUnavailable { s += "unavailable: \(TextRendering.esc(u))\n" }
        for n in r.notes { s += "note: \(TextRendering.esc(n))\n" }
        return s
    }
}

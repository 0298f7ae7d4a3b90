/// `pinctl inspect --json-lines`: one JSON object per line, for `jq -c` and log pipelines on
/// huge ranges. A `{"type":"page",...}` record per row (the `pages` members of the JSON
/// contract), then a `{"type":"vma",...}` record per VMA (the `vmas` members; with rows
/// their smaps counters are read after the walk, without rows they come first), then one
/// `{"type":"summary",...}` record: `pid`, `target`, `kernel`, the summary's members, and
/// `pfnHidden`, `pageTablesUnavailable`, `kernelHelper`, `notes`. A failure, before or after
/// output started, ends the stream with `{"type":"error","error":...,"exitStatus":N}` (and
/// `pid`), so the last line always says how the report ended.
public final class InspectJSONLinesWriter: InspectWriter {
    private var out: OutputBuffer
    private let rendering = PageRowRendering()
    private var head: InspectHead?

    public init(fd: Int32 = 1) { out = OutputBuffer(fd: fd) }

    deinit { out.deallocate() }

    public func begin(_ h: InspectHead) throws(PinctlError) {
        head = h
        try out.flush()
    }

    public func rows(_ rows: UnsafeBufferPointer<PageRowFacts>) throws(PinctlError) {
        let rendering = rendering
        try out.rows(rows, maxRowBytes: PageRowRendering.maxRowBytes) { r, o in
            rendering.json(r, type: true, into: &o)
            o.byte(0x0a)
        }
    }

    public func finish(_ r: InspectReport) throws(PinctlError) {
        for v in r.vmas { try vma(v) }
        try record { (w) throws(PinctlError) in
            try w.field("type", "summary")
            try w.headMembers(InspectHead(pid: r.pid, target: r.target, kernel: r.kernel))
            try w.summaryMembers(r.summary)
            try w.reportTailMembers(r)
        }
        try out.flush()
    }

    public func fail(_ error: PinctlError) -> Bool {
        do throws(PinctlError) {
            try record { (w) throws(PinctlError) in
                try w.field("type", "error")
                try w.errorMembers(error)
            }
            try out.flush()
        } catch {}
        return true
    }

    public func vma(_ v: VMAReport) throws(PinctlError) {
        try record { (w) throws(PinctlError) in
            try w.field("type", "vma")
            try w.vmaMembers(v)
        }
    }

    /// One object on one line.
    private func record(_ body: (inout JSONWriter) throws(PinctlError) -> Void) throws(PinctlError) {
        var w = JSONWriter(out)
        defer { out = w.out }
        try w.record(body)
    }
}

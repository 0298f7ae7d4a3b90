/// `pinctl inspect --json`, streamed: one JSON document whose `pid`, `target` and `kernel`
/// come first, then `pages` a chunk at a time, then `vmas` one at a time (their smaps
/// counters are read after the walk, so the first row does not wait for smaps' page-table
/// walk), `summary`,
/// `pfnHidden`, `pageTablesUnavailable`, `kernelHelper` and `notes` (key order is free in
/// JSON; the keys and types are the contract's).
///
/// A failure after output started (the process exits mid-walk) closes `pages` and ends the
/// document with the ErrorReport members instead of a summary: `"error"`, `"exitStatus"`
/// (and `"pid"`), so the document still parses and a consumer tells a failed report from a
/// full one the same way it tells an error object (`.error` present, no `summary`).
public final class InspectJSONWriter: InspectWriter {
    private var w: JSONWriter
    private let rendering = PageRowRendering()
    private var started = false
    private var rowsOpen = false
    private var firstRow = true
    private var vmasOpen = false
    private var vmasWritten = false

    public init(fd: Int32 = 1) { w = JSONWriter(OutputBuffer(fd: fd)) }

    deinit { w.out.deallocate() }

    public func begin(_ h: InspectHead) throws(PinctlError) {
        started = true
        try w.beginObject()
        try w.headMembers(h)
        try w.key("pages")
        try w.beginArray()
        rowsOpen = true
        try w.out.flush()
    }

    /// A VMA ends `pages` (without rows it was empty) and opens `vmas` at the first.
    public func vma(_ v: VMAReport) throws(PinctlError) {
        try closeRows()
        if !vmasOpen {
            vmasOpen = true
            vmasWritten = true
            try w.key("vmas")
            try w.beginArray()
        }
        try w.beginObject()
        try w.vmaMembers(v)
        try w.endObject()
    }

    public func rows(_ rows: UnsafeBufferPointer<PageRowFacts>) throws(PinctlError) {
        let rendering = rendering
        var first = firstRow
        try w.out.rows(rows, maxRowBytes: PageRowRendering.maxRowBytes) { r, o in
            if !first { o.byte(0x2c) }
            first = false
            rendering.json(r, type: false, into: &o)
        }
        firstRow = first
    }

    public func finish(_ r: InspectReport) throws(PinctlError) {
        if !started { try begin(InspectHead(pid: r.pid, target: r.target, kernel: r.kernel)) }
        for v in r.vmas { try vma(v) }
        try closeRows()
        try closeVMAs()
        if !vmasWritten {
            try w.key("vmas")
            try w.beginArray()
            try w.endArray()
        }
        try w.key("summary")
        try w.beginObject()
        try w.summaryMembers(r.summary)
        try w.endObject()
        try w.reportTailMembers(r)
        try w.endDocument()
    }

    public func fail(_ error: PinctlError) -> Bool {
        guard started else { return false }
        do throws(PinctlError) {
            try closeRows()
            try closeVMAs()
            // The head wrote `pid` already: one key once.
            try w.errorMembers(error, withPid: false)
            try w.endDocument()
        } catch {}
        return true
    }

    private func closeVMAs() throws(PinctlError) {
        guard vmasOpen else { return }
        vmasOpen = false
        try w.endArray()
    }

    /// Ends `pages` (its rows were written around JSONWriter, which only needs the bracket).
    private func closeRows() throws(PinctlError) {
        guard rowsOpen else { return }
        rowsOpen = false
        try w.endArray()
    }
}

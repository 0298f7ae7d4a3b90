/// `pinctl inspect` as text, streamed: the process line, then (with rows) the `pages:` table
/// a chunk at a time, then the VMA blocks one at a time, the summary and notes, which are
/// known only at the end (without rows the VMA blocks come first, each as its pages are
/// walked). A failure mid-walk leaves what was written so far and no summary; the error is
/// the one line on stderr.
public final class InspectTextWriter: InspectWriter {
    private var out: OutputBuffer
    private let rendering = PageRowRendering()
    private let showPages: Bool
    private var headerWritten = false

    public init(fd: Int32 = 1, showPages: Bool) {
        out = OutputBuffer(fd: fd)
        self.showPages = showPages
    }

    deinit { out.deallocate() }

    public func begin(_ h: InspectHead) throws(PinctlError) {
        try text("pid \(h.pid)  target \(TextRendering.esc(h.target))  kernel \(TextRendering.esc(h.kernel))\n")
        // The head reaches the reader before the walk starts.
        try out.flush()
    }

    public func vma(_ v: VMAReport) throws(PinctlError) {
        try text(TextRendering.vmaBlock(v))
    }

    public func rows(_ rows: UnsafeBufferPointer<PageRowFacts>) throws(PinctlError) {
        guard showPages else { return }
        let rendering = rendering
        try out.header(PageRowRendering.textHeader, written: &headerWritten)
        try out.rows(rows, maxRowBytes: PageRowRendering.maxRowBytes) { r, o in rendering.text(r, into: &o) }
    }

    public func finish(_ r: InspectReport) throws(PinctlError) {
        for v in r.vmas { try vma(v) }
        try text(TextRendering.summaryBlock(r.summary, pfnHidden: r.pfnHidden))
        for u in r.pageTablesUnavailable { try text("unavailable: \(TextRendering.esc(u))\n") }
        for n in r.notes { try text("note: \(TextRendering.esc(n))\n") }
        try out.flush()
    }

    public func fail(_ error: PinctlError) -> Bool {
        try? out.flush()
        return false
    }

    private func text(_ s: String) throws(PinctlError) {
        try out.string(s)
    }
}

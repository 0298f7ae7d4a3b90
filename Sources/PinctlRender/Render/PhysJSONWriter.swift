/// `pinctl phys --json` and `--json-lines`, streamed.
///
/// --json: one document, `target`, `kernel` first, then `frames` a batch at a time, then
/// `owners` (with --owners) a process at a time, then `ranges`, `flagExpressions`, `cgroup`,
/// `unmovableOnly`, `blockBytes`, `blocks`, `summary`, `owners` totals as `ownerTotals`...
/// (see PhysTail). --json-lines: a `{"type":"frame",...}` record per row, a
/// `{"type":"owner",...}` record per owner run, then one `{"type":"summary",...}` record with
/// the tail's members. A failure ends either with the ErrorReport members (`error`,
/// `exitStatus`).
public final class PhysJSONWriter: PhysWriter {
    private var w: JSONWriter
    private let rendering = FrameRowRendering()
    private let lines: Bool
    private var started = false
    /// The array being streamed into (frames, then owners), in the document form.
    private var openArray: String?
    private var firstElement = true
    private var head: PhysHead?

    public init(fd: Int32 = 1, lines: Bool) {
        w = JSONWriter(OutputBuffer(fd: fd))
        self.lines = lines
    }

    deinit { w.out.deallocate() }

    public func begin(_ h: PhysHead) throws(PinctlError) {
        head = h
        started = true
        guard !lines else { return }
        try w.beginObject()
        try w.field("target", h.target)
        try w.field("kernel", h.kernel)
        try w.out.flush()
    }

    private func array(_ name: String) throws(PinctlError) {
        guard !lines, openArray != name else { return }
        if openArray != nil { try w.endArray() }
        try w.key(name)
        try w.beginArray()
        openArray = name
        firstElement = true
    }

    public func rows(_ rows: UnsafeBufferPointer<FrameRow>) throws(PinctlError) {
        try array("frames")
        let (rendering, lines) = (rendering, lines)
        var first = firstElement
        try w.out.rows(rows, maxRowBytes: FrameRowRendering.maxRowBytes) { r, o in
            if !lines && !first { o.byte(0x2c) }
            first = false
            rendering.json(r, type: lines, into: &o)
            if lines { o.byte(0x0a) }
        }
        firstElement = first
    }

    public func owners(_ runs: [OwnerRun]) throws(PinctlError) {
        try array("owners")
        // Owners go through `w` itself, which places the array's commas; in JSON lines `w`
        // stays at the top level, where each record is a value of its own.
        for r in runs {
            try rendering.json(r, type: lines, into: &w)
            if lines { try w.newline() }
        }
        try w.out.flush()
    }

    public func finish(_ r: PhysReport) throws(PinctlError) {
        if lines {
            try w.record { (w) throws(PinctlError) in
                try w.field("type", "summary")
                try w.field("target", r.target)
                try w.field("kernel", r.kernel)
                try PhysTail(r).members(into: &w)
            }
            try w.out.flush()
        } else {
            if !started { try begin(PhysHead(target: r.target, kernel: r.kernel, ranges: r.ranges)) }
            if openArray == nil { try array("frames") }
            try w.endArray()
            openArray = nil
            try PhysTail(r).members(into: &w)
            try w.endDocument()
        }
    }

    public func fail(_ error: PinctlError) -> Bool {
        do throws(PinctlError) {
            if lines {
                try w.record { (w) throws(PinctlError) in
                    try w.field("type", "error")
                    try w.errorMembers(error)
                }
                try w.out.flush()
            } else {
                guard started else { return false }
                if openArray != nil { try w.endArray() }
                try w.errorMembers(error, withPid: false)
                try w.endDocument()
            }
        } catch {}
        return true
    }
}

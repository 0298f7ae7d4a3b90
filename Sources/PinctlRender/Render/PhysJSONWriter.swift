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
        try w.key("target")
        try w.string(h.target)
        try w.key("kernel")
        try w.string(h.kernel)
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
        var o = w.out
        defer { w.out = o }
        var first = firstElement
        for r in rows {
            try o.reserve(FrameRowRendering.maxRowBytes)
            if lines {
                rendering.json(r, type: true, into: &o)
                o.byte(0x0a)
            } else {
                if !first { o.byte(0x2c) }
                first = false
                rendering.json(r, type: false, into: &o)
            }
        }
        firstElement = first
        try o.flush()
    }

    public func owners(_ runs: [OwnerRun]) throws(PinctlError) {
        try array("owners")
        for r in runs {
            if lines {
                var lw = JSONWriter(w.out)
                try rendering.json(r, type: true, into: &lw)
                w.out = lw.out
                try w.out.reserve(1)
                w.out.byte(0x0a)
            } else {
                if !firstElement {
                    try w.out.reserve(1)
                    w.out.byte(0x2c)
                }
                firstElement = false
                // A fresh writer per element: the commas of this array are written here.
                var ew = JSONWriter(w.out)
                try rendering.json(r, type: false, into: &ew)
                w.out = ew.out
            }
        }
        try w.out.flush()
    }

    public func finish(_ r: PhysReport) throws(PinctlError) {
        if lines {
            var lw = JSONWriter(w.out)
            try lw.beginObject()
            try lw.key("type")
            try lw.string("summary")
            try lw.key("target")
            try lw.string(r.target)
            try lw.key("kernel")
            try lw.string(r.kernel)
            try PhysTail(r).members(into: &lw)
            try lw.endObject()
            w.out = lw.out
            try w.out.reserve(1)
            w.out.byte(0x0a)
        } else {
            if !started { try begin(PhysHead(target: r.target, kernel: r.kernel, ranges: r.ranges)) }
            if openArray == nil { try array("frames") }
            try w.endArray()
            openArray = nil
            try PhysTail(r).members(into: &w)
            try w.endObject()
            try w.out.reserve(1)
            w.out.byte(0x0a)
        }
        try w.out.flush()
    }

    public func fail(_ error: PinctlError) -> Bool {
        do throws(PinctlError) {
            if lines {
                var lw = JSONWriter(w.out)
                try lw.beginObject()
                try lw.key("type")
                try lw.string("error")
                try lw.errorMembers(error)
                try lw.endObject()
                w.out = lw.out
                try w.out.reserve(1)
                w.out.byte(0x0a)
            } else {
                guard started else { return false }
                if openArray != nil { try w.endArray() }
                try w.errorMembers(error, withPid: false)
                try w.endObject()
                try w.out.reserve(1)
                w.out.byte(0x0a)
            }
            try w.out.flush()
        } catch {}
        return true
    }
}

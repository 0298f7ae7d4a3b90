/// `pinctl maps --json`, streamed: one document, `name`, `pid`, `vmLck`, `vmPin` and `vmRSS`
/// (each left out when status has no such line), then `vmas`, an element per VMA as it is
/// read (the members of inspect's `vmas` elements).
///
/// A failure after output started (the process exits mid-read) closes `vmas` and ends the
/// document with the ErrorReport members `"error"` and `"exitStatus"` (`pid` is written
/// already), so it still parses and `.error` tells a failed report from a full one, as for
/// an error object and for `inspect --json`.
public final class MapsJSONWriter: MapsWriter {
    private var w: JSONWriter
    private var started = false

    public init(fd: Int32 = 1) { w = JSONWriter(OutputBuffer(fd: fd)) }

    deinit { w.out.deallocate() }

    public func begin(_ m: MapsHead) throws(PinctlError) {
        started = true
        try w.beginObject()
        try w.field("name", m.name)
        if let hex = m.nameBytes { try w.field("nameBytes", hex) }
        try w.field("pid", Int64(m.pid))
        try w.field("vmLck", ifPresent: m.vmLck)
        try w.field("vmPin", ifPresent: m.vmPin)
        try w.field("vmRSS", ifPresent: m.vmRSS)
        try w.key("vmas")
        try w.beginArray()
    }

    public func vma(_ v: VMAReport) throws(PinctlError) {
        try w.beginObject()
        try w.vmaMembers(v)
        try w.endObject()
    }

    public func finish() throws(PinctlError) {
        try w.endArray()
        try w.endDocument()
    }

    public func fail(_ error: PinctlError) -> Bool {
        guard started else { return false }
        w.endWithError(error)
        return true
    }
}

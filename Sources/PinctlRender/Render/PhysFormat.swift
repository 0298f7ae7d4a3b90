import FoundationEssentials

/// The format `phys` writes.
public enum PhysFormat: Sendable {
    /// `colour`: SGR colours in a map (a terminal that asked for them).
    case text(showFrames: Bool, colour: Bool = false)
    case json
    case jsonLines

    public func writer(fd: Int32 = 1) -> any PhysWriter {
        switch self {
        case .text(let showFrames, let colour): return PhysTextWriter(fd: fd, showFrames: showFrames, colour: colour)
        case .json: return PhysJSONWriter(fd: fd, lines: false)
        case .jsonLines: return PhysJSONWriter(fd: fd, lines: true)
        }
    }
}

/// The members of a finished report after the streamed parts, for both JSON forms.
struct PhysTail: Encodable {
    var ranges: [FrameRange]
    var map: PhysMap?
    var flags: [String]
    var cgroup: UInt64?
    var unmovableOnly: Bool
    var blockBytes: UInt64?
    var blocks: [BlockReport]
    var summary: FrameSummary
    var owners: OwnerTotals?
    var pageTablesUnavailable: [String]
    var kernelHelper: Bool
    var notes: [String]

    init(_ r: PhysReport) {
        ranges = r.ranges
        map = r.map
        flags = r.flags
        cgroup = r.cgroup
        unmovableOnly = r.unmovableOnly
        blockBytes = r.blockBytes
        blocks = r.blocks
        summary = r.summary
        owners = r.owners
        pageTablesUnavailable = r.pageTablesUnavailable
        kernelHelper = r.kernelHelper
        notes = r.notes
    }

    /// Every member as `"key":value` pairs, for the document or the summary record.
    func members(into w: inout JSONWriter) throws(PinctlError) {
        func put<T: Encodable>(_ key: String, _ v: T, _ w: inout JSONWriter) throws(PinctlError) {
            try w.key(key)
            let text = (try? renderJSON(v)) ?? "null"
            try withUTF8(of: text) { (b) throws(PinctlError) in try w.raw(b) }
        }
        try put("ranges", ranges, &w)
        if let map { try put("map", map, &w) }
        try put("flagExpressions", flags, &w)
        try w.field("cgroup", cgroup)
        try w.field("unmovableOnly", unmovableOnly)
        try w.field("blockBytes", blockBytes)
        try put("blocks", blocks, &w)
        try put("summary", summary, &w)
        try put("ownerTotals", owners, &w)
        try w.field("pageTablesUnavailable", pageTablesUnavailable)
        try w.field("kernelHelper", kernelHelper)
        try w.field("notes", notes)
    }
}

/// Formats `FrameRow`s and `OwnerRun`s of `pinctl phys` straight into an `OutputBuffer`:
/// text rows and JSON objects, with inspect's flag names (PageRowRendering's byte tables).
public final class FrameRowRendering {
    private let pages: PageRowRendering

    public init(names table: KPageFlagNames = .running) { pages = PageRowRendering(names: table) }

    /// The longest row either form can take, for `reserve`.
    public static let maxRowBytes = 3072

    public static let textHeader: StaticString = "frames:\npfn               frames  mapcount memcg   flags\n"
    public static let ownersHeader: StaticString =
        "owners:\npid      comm             address           pfn               pages    mapping\n"

    /// pfn, frames, mapcount, memcg, flag names, then `holds=` and the module's state.
    @inline(__always)
    public func text(_ r: FrameRow, into o: inout OutputBuffer) {
        o.hex(r.pfn, width: 18)
        o.decimal(r.count, width: 8)
        o.countColumns(r)
        if r.flags != 0 { pages.flagNames(r.flags, json: false, into: &o) } else { o.byte(0x2d) }
        if !r.holds.isEmpty {
            o.ascii(" holds=")
            holds(r.holds, json: false, into: &o)
        }
        o.kernelStateAndNewline(r)
    }

    /// One row as a JSON object; `type` adds `"type":"frame"` first (JSON lines).
    @inline(__always)
    public func json(_ r: FrameRow, type: Bool, into o: inout OutputBuffer) {
        if type { o.ascii("{\"type\":\"frame\",\"pfn\":") } else { o.ascii("{\"pfn\":") }
        o.decimal(r.pfn)
        o.ascii(",\"physAddress\":\"")
        o.hex(r.pfn << PagemapReader.pageShift)
        o.ascii("\",\"count\":")
        o.decimal(r.count)
        o.ascii(",\"flags\":[")
        pages.flagNames(r.flags, json: true, into: &o)
        o.ascii("],\"kpageflags\":\"")
        o.hex(r.flags)
        o.byte(0x22)
        o.countMembers(r)
        o.ascii(",\"holds\":[")
        holds(r.holds, json: true, into: &o)
        o.ascii("],\"unmovable\":")
        if r.holds.isUnmovable { o.ascii("true") } else { o.ascii("false") }
        o.kernelStateMembersAndClose(r)
    }

    @inline(__always)
    func holds(_ h: FrameHolds, json: Bool, into o: inout OutputBuffer) {
        var first = true
        func one(_ on: FrameHolds, _ s: StaticString, _ o: inout OutputBuffer) {
            guard h.contains(on) else { return }
            if !first { o.byte(0x2c) }
            first = false
            if json { o.byte(0x22) }
            o.ascii(s)
            if json { o.byte(0x22) }
        }
        one(.pinned, "pinned", &o)
        one(.extraReferences, "extra-references", &o)
        one(.reserved, "reserved", &o)
        one(.slab, "slab", &o)
        one(.pageTable, "page-table", &o)
        one(.offline, "offline", &o)
        one(.hugetlb, "hugetlb", &o)
        one(.kernel, "kernel", &o)
        one(.mlocked, "mlocked", &o)
    }

    /// pid, comm, address, first pfn, pages, the VMA's path (escaped).
    public func text(_ r: OwnerRun, into o: inout OutputBuffer) throws(PinctlError) {
        try o.reserve(Self.maxRowBytes)
        o.decimal(UInt64(r.pid), width: 9)
        let col = o.position
        try o.string(TerminalEscaping.escape(text: r.comm, hexBytes: r.commBytes))
        try o.reserve(Self.maxRowBytes)
        o.pad(from: col, to: 17)
        o.hex(r.address, width: 18)
        o.hex(r.pfn, width: 18)
        o.decimal(r.count, width: 9)
        try o.string(r.path.isEmpty ? "[anon]" : TerminalEscaping.escape(text: r.path, hexBytes: r.pathBytes))
        try o.reserve(1)
        o.byte(0x0a)
    }

    /// One owner run as a JSON object; `type` adds `"type":"owner"` (JSON lines).
    public func json(_ r: OwnerRun, type: Bool, into w: inout JSONWriter) throws(PinctlError) {
        try w.beginObject()
        if type { try w.field("type", "owner") }
        try w.field("pid", Int64(r.pid))
        try w.field("comm", r.comm)
        if let hex = r.commBytes { try w.field("commBytes", hex) }
        try w.field("address", hex: r.address)
        try w.field("pfn", r.pfn)
        try w.field("count", r.count)
        try w.field("path", r.path)
        if let hex = r.pathBytes { try w.field("pathBytes", hex) }
        try w.endObject()
    }
}

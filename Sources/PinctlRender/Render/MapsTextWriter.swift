/// `pinctl maps` as text, streamed: the process line and the column header, then a line per
/// VMA as it is read. A failure mid-read leaves the lines written so far; the error is the
/// one line on stderr.
public final class MapsTextWriter: MapsWriter {
    private var out: OutputBuffer

    public init(fd: Int32 = 1) { out = OutputBuffer(fd: fd) }

    deinit { out.deallocate() }

    public func begin(_ m: MapsHead) throws(PinctlError) { try out.string(Self.head(m)) }

    public func vma(_ v: VMAReport) throws(PinctlError) { try out.string(Self.line(v)) }

    public func finish() throws(PinctlError) { try out.flush() }

    public func fail(_ error: PinctlError) -> Bool {
        try? out.flush()
        return false
    }

    /// The process line and the column header.
    public static func head(_ m: MapsHead) -> String {
        "pid \(m.pid) (\(TerminalEscaping.escape(text: m.name, hexBytes: m.nameBytes)))  VmLck \(kb(m.vmLck))  VmPin \(kb(m.vmPin))  VmRSS \(kb(m.vmRSS))\n"
            + pad("start-end", 34) + pad("perms", 6) + pad("size", 11) + pad("rss", 11) + pad("locked", 11) + pad("swap", 11)
            + pad("pin-relevant", 22) + "path\n"
    }

    /// One VMA's line.
    public static func line(_ v: VMAReport) -> String {
        let relevant = v.vmFlags.filter { VMFlags.pinRelevant.contains($0) }
        return pad("\(v.start.dropFirst(2))-\(v.end.dropFirst(2))", 34) + pad(TextRendering.esc(v.perms), 6)
            + pad(humanBytes(v.size), 11) + pad(kb(v.rss), 11) + pad(kb(v.locked), 11) + pad(kb(v.swap), 11)
            + pad(relevant.isEmpty ? "-" : relevant.joined(separator: " "), 22) + v.displayPath + "\n"
    }

    private static func kb(_ x: UInt64?) -> String { x.map(humanBytes) ?? "-" }
    private static func pad(_ s: String, _ width: Int) -> String { TextRendering.pad(s, width) }
}

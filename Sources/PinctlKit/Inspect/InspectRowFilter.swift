/// `inspect --flags EXPR --cgroup PATH`: passes on only the rows whose page matches, as
/// page-types -p PID -b EXPR -c PATH lists them. The word matched is page-types -r's
/// (`PageTypesFlags.expand` of kpageflags and the pagemap entry); pages with no flags
/// (absent, or flags unreadable) never match, a swapped page matches on its pagemap bits
/// alone (page-types' walk_swap). Rows must be one per page (the caller turns collapsing
/// off: a collapsed huge page carries only its head's flags). The summary, the VMAs and the
/// notes are the unfiltered walk's.
public final class InspectRowFilter: InspectWriter {
    let inner: any InspectWriter
    let flags: FlagExpression?
    let cgroup: UInt64?
    private var buffer: UnsafeMutablePointer<PageRowFacts>
    private var capacity: Int
    /// Rows passed on.
    public private(set) var matched: UInt64 = 0

    public init(_ inner: any InspectWriter, flags: FlagExpression?, cgroup: UInt64?) {
        self.inner = inner
        self.flags = flags
        self.cgroup = cgroup
        capacity = 4096
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Whether one row's page passes.
    public func matches(_ r: PageRowFacts) -> Bool {
        let word: UInt64
        if r.present && r.hasFlags {
            word = PageTypesFlags.expand(r.flags, pagemap: r.entry)
        } else if r.swapped {
            word = PageTypesFlags.expand(0, pagemap: r.entry)
            if cgroup != nil { return false }
        } else {
            return false
        }
        if let flags, !flags.matches(word) { return false }
        if let cgroup, !(r.hasCgroup && r.cgroup == cgroup) { return false }
        return true
    }

    public func begin(_ head: InspectHead) throws(PinctlError) { try inner.begin(head) }

    public func vma(_ v: VMAReport) throws(PinctlError) { try inner.vma(v) }

    public func rows(_ rows: UnsafeBufferPointer<PageRowFacts>) throws(PinctlError) {
        if rows.count > capacity {
            buffer.deallocate()
            capacity = rows.count
            buffer = .allocate(capacity: capacity)
        }
        var n = 0
        for r in rows where matches(r) {
            (buffer + n).initialize(to: r)
            n += 1
        }
        matched &+= UInt64(n)
        if n > 0 { try inner.rows(UnsafeBufferPointer(start: buffer, count: n)) }
    }

    public func finish(_ report: InspectReport) throws(PinctlError) {
        var r = report
        var what: [String] = flags?.text.map { "--flags \($0)" } ?? []
        if let cgroup { what.append("--cgroup @\(cgroup)") }
        r.notes.append("rows: \(matched) pages matched \(what.joined(separator: " ")); the summary counts every page")
        try inner.finish(r)
    }

    public func fail(_ error: PinctlError) -> Bool { inner.fail(error) }
}

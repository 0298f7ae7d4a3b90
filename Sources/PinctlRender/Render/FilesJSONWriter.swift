/// `pinctl files --json`: one object, `{"files":[...],"total":{...}}`, streamed: each file,
/// skipped path and failure is an element of "files" as it is found (skipped ones carry
/// "skipped" and "reason", failed ones "error"). Paths are written as the text report writes
/// them (control characters and bytes that are not UTF-8 as \xNN, a backslash doubled), so a
/// path with any bytes reads back unambiguously.
public struct FilesJSONWriter: FilesSink {
    var json: JSONWriter
    private var started = false

    public init(fd: Int32 = 1) {
        json = JSONWriter(OutputBuffer(fd: fd))
    }

    mutating func start() throws(PinctlError) {
        guard !started else { return }
        started = true
        try json.beginObject()
        try json.key("files")
        try json.beginArray()
    }

    public mutating func file(_ f: FileResidency) throws(PinctlError) {
        try start()
        try json.beginObject()
        try pathMembers(f.path)
        try json.field("size", f.size)
        try json.field("pages", f.pages)
        try writeState(f.state)
        if let e = f.eviction {
            try writeEviction(cachedBefore: e.cachedBefore, stayed: e.stayed)
            try json.field("stayedBecause", e.reasons)
        }
        try json.endObject()
    }

    mutating func writeState(_ s: PageCacheState) throws(PinctlError) {
        try json.field("cached", s.cached)
        try json.field("dirty", s.dirty)
        try json.field("writeback", s.writeback)
        try json.field("evicted", s.evicted)
        try json.field("recentlyEvicted", s.recentlyEvicted)
    }

    /// What `--evict` left: a file's counts and the totals' have the same two members.
    mutating func writeEviction(cachedBefore: UInt64, stayed: UInt64) throws(PinctlError) {
        try json.field("cachedBeforeEviction", cachedBefore)
        try json.field("stayed", stayed)
    }

    /// `path` as text (U+FFFD for bytes that are not UTF-8), and `pathBytes` (hex) then.
    mutating func pathMembers(_ path: [UInt8]) throws(PinctlError) {
        let name = TerminalEscaping.textAndHexBytes(path)
        try json.field("path", name.text)
        if let hex = name.hexBytes { try json.field("pathBytes", hex) }
    }

    /// A path that is not a file report: skipped (`skipped`, `reason`) or failed (`error`).
    mutating func pathRecord(_ path: [UInt8], _ members: [(StaticString, String)]) throws(PinctlError) {
        try start()
        try json.beginObject()
        try pathMembers(path)
        for (k, v) in members { try json.field(k, v) }
        try json.endObject()
    }

    public mutating func skipped(_ path: [UInt8], _ reason: TreeWalkSkip) throws(PinctlError) {
        try pathRecord(path, [("skipped", reason.kind), ("reason", reason.message)])
    }

    public mutating func failed(_ path: [UInt8], _ message: String) throws(PinctlError) {
        try pathRecord(path, [("error", message)])
        try json.out.flush()
        printError("pinctl: \(TerminalEscaping.escape(bytes: path)): \(message)")
    }

    /// The "files" array closed and the error's members in place of the totals.
    public mutating func fail(_ error: PinctlError) -> Bool {
        defer { json.out.deallocate() }
        guard started else { return false }
        json.endWithError(error)
        return true
    }

    public mutating func finish(_ t: FilesTotals) throws(PinctlError) {
        try start()
        try json.endArray()
        try json.key("total")
        try json.beginObject()
        try json.field("files", t.files)
        try json.field("directories", t.directories)
        try json.field("size", t.bytes)
        try json.field("pages", t.pages)
        try writeState(
            PageCacheState(cached: t.cached, dirty: t.dirty, writeback: t.writeback, evicted: t.evicted, recentlyEvicted: t.recentlyEvicted)
        )
        if let before = t.cachedBeforeEviction, let stayed = t.stayedAfterEviction {
            try writeEviction(cachedBefore: before, stayed: stayed)
        }
        try json.field("skipped", sorted: t.skipped)
        try json.field("failed", t.failed)
        try json.field("method", t.method.rawValue)
        try json.field("pageSize", PagemapReader.pageSize)
        try json.endObject()
        try json.endDocument()
        json.out.deallocate()
    }
}

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
        try json.key("path")
        try json.string(displayPath(f.path))
        try json.key("size")
        try json.uint(f.size)
        try json.key("pages")
        try json.uint(f.pages)
        try writeState(f.state)
        if let e = f.eviction {
            try json.key("cachedBeforeEviction")
            try json.uint(e.cachedBefore)
            try json.key("stayed")
            try json.uint(e.stayed)
            try json.key("stayedBecause")
            try json.strings(e.reasons)
        }
        try json.endObject()
    }

    mutating func writeState(_ s: PageCacheState) throws(PinctlError) {
        try json.key("cached")
        try json.uint(s.cached)
        try json.key("dirty")
        try json.uint(s.dirty)
        try json.key("writeback")
        try json.uint(s.writeback)
        try json.key("evicted")
        try json.uint(s.evicted)
        try json.key("recentlyEvicted")
        try json.uint(s.recentlyEvicted)
    }

    public mutating func skipped(_ path: [UInt8], _ reason: TreeWalkSkip) throws(PinctlError) {
        try start()
        try json.beginObject()
        try json.key("path")
        try json.string(displayPath(path))
        try json.key("skipped")
        try json.string(reason.kind)
        try json.key("reason")
        try json.string(reason.message)
        try json.endObject()
    }

    public mutating func failed(_ path: [UInt8], _ message: String) throws(PinctlError) {
        try start()
        try json.beginObject()
        try json.key("path")
        try json.string(displayPath(path))
        try json.key("error")
        try json.string(message)
        try json.endObject()
        try json.out.flush()
        printError("pinctl: \(TerminalEscaping.escape(bytes: path)): \(message)")
    }

    public mutating func finish(_ t: FilesTotals) throws(PinctlError) {
        try start()
        try json.endArray()
        try json.key("total")
        try json.beginObject()
        try json.key("files")
        try json.uint(t.files)
        try json.key("directories")
        try json.uint(t.directories)
        try json.key("size")
        try json.uint(t.bytes)
        try json.key("pages")
        try json.uint(t.pages)
        try writeState(
            PageCacheState(cached: t.cached, dirty: t.dirty, writeback: t.writeback, evicted: t.evicted, recentlyEvicted: t.recentlyEvicted)
        )
        if let before = t.cachedBeforeEviction, let stayed = t.stayedAfterEviction {
            try json.key("cachedBeforeEviction")
            try json.uint(before)
            try json.key("stayed")
            try json.uint(stayed)
        }
        try json.key("skipped")
        try json.beginObject()
        for (k, v) in t.skipped.sorted(by: { $0.key < $1.key }) {
            try json.key(k)
            try json.uint(v)
        }
        try json.endObject()
        try json.key("failed")
        try json.uint(t.failed)
        try json.key("method")
        try json.string(t.method.rawValue)
        try json.key("pageSize")
        try json.uint(PagemapReader.pageSize)
        try json.endObject()
        try json.endObject()
        try json.out.reserve(1)
        json.out.byte(0x0a)
        try json.out.flush()
        json.out.deallocate()
    }
}

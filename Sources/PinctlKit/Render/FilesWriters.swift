/// `pinctl files` as text: a header, one line per file as it is examined, skipped and
/// failed paths on stderr (one line each), and the totals. Streams: memory does not grow
/// with the tree.
public struct FilesTextWriter: FilesSink {
    var out: OutputBuffer
    /// `--summary`: the totals only.
    let summaryOnly: Bool
    /// `--quiet`: no stderr line for paths skipped by a rule (failures are always told).
    let quiet: Bool
    let evict: Bool
    private var headerDone = false

    public init(fd: Int32 = 1, summaryOnly: Bool, quiet: Bool, evict: Bool) {
        out = OutputBuffer(fd: fd)
        self.summaryOnly = summaryOnly
        self.quiet = quiet
        self.evict = evict
    }

    static func column(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func count(_ v: UInt64?) -> String { v.map { String($0) } ?? "-" }

    public mutating func file(_ f: FileResidency) throws(PinctlError) {
        guard !summaryOnly else { return }
        if !headerDone {
            headerDone = true
            let stayed = evict ? "   BEFORE" : ""
            try out.string(
                "\(stayed)   CACHED     PAGES  PERCENT    DIRTY  WRITEBACK   EVICTED    RECENT        SIZE  FILE\n")
        }
        // Straight into the buffer: a String per column cost 15 us a row (10,000 files: 0.15 s).
        try out.reserve(160)
        if evict { right(f.eviction?.cachedBefore ?? 0, 9) }
        right(f.state.cached, 9)
        right(f.pages, 10)
        if f.pages == 0 {
            right(nil, 9)
        } else {
            let tenths = f.state.cached.multipliedFullWidth(by: 1000).low / f.pages
            let start = out.position
            out.decimal(tenths / 10)
            out.byte(0x2e)
            out.decimal(tenths % 10)
            out.byte(0x25)
            shiftRight(from: start, to: 9)
        }
        right(f.state.dirty, 9)
        right(f.state.writeback, 11)
        right(f.state.evicted, 10)
        right(f.state.recentlyEvicted, 10)
        try out.string(Self.column(humanBytes(f.size), 12) + "  ")
        if isPlain(f.path) {
            try f.path.withUnsafeBufferPointer { (b) throws(PinctlError) in try out.bytes(b) }
        } else {
            try out.string(TerminalEscaping.escape(bytes: f.path))
        }
        if let e = f.eviction, e.stayed > 0 {
            try out.string("  (\(e.stayed) stayed: " + e.reasons.joined(separator: "; ") + ")")
        }
        try out.reserve(1)
        out.byte(0x0a)
    }

    /// A count right-aligned in `width` columns ("-" for nil).
    private mutating func right(_ v: UInt64?, _ width: Int) {
        let start = out.position
        if let v { out.decimal(v) } else { out.byte(0x2d) }
        shiftRight(from: start, to: width)
    }

    /// Moves the bytes written since `start` right so that they end at `start + width`,
    /// spaces before them (a field wider than `width` stays as it is).
    private mutating func shiftRight(from start: Int, to width: Int) {
        let used = out.position - start
        guard used < width else { return }
        let shift = width - used
        for k in stride(from: used - 1, through: 0, by: -1) { out.base[start + shift + k] = out.base[start + k] }
        for k in 0..<shift { out.base[start + k] = 0x20 }
        out.count += shift
    }

    static func percent(_ part: UInt64, of whole: UInt64) -> String {
        let tenths = whole == 0 ? 0 : (part.multipliedFullWidth(by: 1000).low / whole)
        return "\(tenths / 10).\(tenths % 10)%"
    }

    public mutating func skipped(_ path: [UInt8], _ reason: TreeWalkSkip) throws(PinctlError) {
        guard !quiet else { return }
        try out.flush()
        printError("pinctl: \(TerminalEscaping.escape(bytes: path)): \(reason.message)")
    }

    public mutating func failed(_ path: [UInt8], _ message: String) throws(PinctlError) {
        try out.flush()
        printError("pinctl: \(TerminalEscaping.escape(bytes: path)): \(message)")
    }

    public mutating func finish(_ t: FilesTotals) throws(PinctlError) {
        try out.string(Self.totals(t))
        try out.flush()
        out.deallocate()
    }

    static func totals(_ t: FilesTotals) -> String {
        let pageSize = PagemapReader.pageSize
        var s = "total: \(t.files) file\(t.files == 1 ? "" : "s"), \(t.directories) director\(t.directories == 1 ? "y" : "ies"), "
        s += "\(t.cached) of \(t.pages) pages cached (\(humanBytes(t.cached &* pageSize)) of \(humanBytes(t.pages &* pageSize)), "
        s += "\(t.pages == 0 ? "-" : percent(t.cached, of: t.pages)))"
        if let d = t.dirty, let w = t.writeback, let e = t.evicted, let r = t.recentlyEvicted {
            s += ", \(d) dirty, \(w) under writeback, \(e) evicted (\(r) recently)"
        }
        s += "; by \(t.method.rawValue)\n"
        if let before = t.cachedBeforeEviction, let stayed = t.stayedAfterEviction {
            s += "evicted: \(before - min(before, stayed)) of \(before) cached pages; \(stayed) stayed\n"
        }
        if t.skippedCount > 0 || t.failed > 0 {
            let kinds = t.skipped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            s += "skipped: \(t.skippedCount)\(kinds.isEmpty ? "" : " (\(kinds))"); could not examine: \(t.failed)\n"
        }
        return s
    }
}

/// Printable ASCII without a backslash: a path that TerminalEscaping would leave as it is
/// (checked first: escaping scalar by scalar cost 50 us for a 200-byte name).
func isPlain(_ path: [UInt8]) -> Bool {
    path.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != 0x5c }
}

/// A path for a report: as it is when plain, else escaped.
func displayPath(_ path: [UInt8]) -> String {
    isPlain(path) ? String(decoding: path, as: UTF8.self) : TerminalEscaping.escape(bytes: path)
}

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

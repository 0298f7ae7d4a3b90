/// One VMA of /proc/PID/smaps: its maps line, its counters, its VmFlags.
public struct SmapsEntry: Equatable, Sendable {
    public var vma: VMA
    /// "Rss" -> bytes. Fields printed in kB are converted to bytes; others (THPeligible,
    /// ProtectionKey) are kept as the number printed.
    public var fields: [String: UInt64]
    /// Two-letter codes in kernel order.
    public var vmFlags: [String]

    public subscript(_ name: String) -> UInt64? { fields[name] }
}

/// Parses /proc/PID/smaps (and smaps_rollup's counters).
public enum ProcSmaps {
    /// `wantFields`: which VMAs need their counters; the others keep only their maps line
    /// (a process can have thousands of VMAs, and a report needs a few).
    public static func parse(_ text: String, wantFields: @escaping (VMA) -> Bool = { _ in true }) throws(PinctlError) -> [SmapsEntry] {
        try parse(ProcText(text), wantFields: wantFields)
    }

    /// The file's bytes as read, so paths that are not UTF-8 keep their bytes (VMA.rawPath).
    public static func parse(bytes: [UInt8], wantFields: @escaping (VMA) -> Bool = { _ in true }) throws(PinctlError) -> [SmapsEntry] {
        try parse(ProcText(bytes: bytes), wantFields: wantFields)
    }

    static func parse(_ t: ProcText, wantFields: @escaping (VMA) -> Bool) throws(PinctlError) -> [SmapsEntry] {
        var out: [SmapsEntry] = []
        var parser = SmapsParser(wantFields: wantFields)
        try parser.feed(t) { out.append($0) }
        parser.finish { out.append($0) }
        return out
    }

    /// Reads smaps from `file` a chunk at a time and hands each VMA to `body` as soon as the
    /// next header closes it: memory holds one chunk and one VMA, not the file (45 MB of
    /// text for 60,000 mappings). The kernel generates the file per read(2), as for one
    /// whole read. A failed read is `readError`'s error.
    public static func stream(
        _ file: FileDescriptor, wantFields: @escaping (VMA) -> Bool = { _ in true },
        readError: (SyscallError) -> PinctlError = { .system($0) }, chunk: Int = 256 << 10,
        _ body: (SmapsEntry) throws(PinctlError) -> Void
    ) throws(PinctlError) {
        var parser = SmapsParser(wantFields: wantFields)
        try ProcFileReader.forEachChunk(of: file, chunk: chunk, readError: readError) { (t) throws(PinctlError) in try parser.feed(t, body)
        }
        var last: SmapsEntry? = nil
        parser.finish { last = $0 }
        if let last { try body(last) }
    }

    /// Every VMA of `file`, streamed (see `stream`), the counters only where `wantFields`.
    public static func read(
        _ file: FileDescriptor, wantFields: @escaping (VMA) -> Bool = { _ in true },
        readError: (SyscallError) -> PinctlError = { .system($0) }
    ) throws(PinctlError) -> [SmapsEntry] {
        var out: [SmapsEntry] = []
        try stream(file, wantFields: wantFields, readError: readError) { out.append($0) }
        return out
    }

    /// "   1234 kB" -> 1263616; "    1" -> 1.
    static func parseValue(_ value: Substring) -> UInt64? {
        let t = ProcText(String(value))
        return Self.value(t, 0..<t.bytes.count)
    }

    package static func value(_ t: ProcText, _ r: Range<Int>) -> UInt64? {
        var rest = r
        guard let digits = t.nextField(&rest), let n = t.number(digits, radix: 10) else { return nil }
        if let unit = t.nextField(&rest), t.equals(unit, "kB") {
            let m = n.multipliedReportingOverflow(by: 1024)
            return m.overflow ? nil : m.partialValue
        }
        return n
    }
}

/// smaps' grammar, fed whole lines a piece at a time: a maps line opens a VMA, `Name: value`
/// lines are its counters, `VmFlags:` its flags; a VMA is handed on when the next one opens
/// (or at `finish`).
struct SmapsParser {
    let wantFields: (VMA) -> Bool
    private var vma: VMA? = nil
    private var fields: [String: UInt64] = [:]
    private var flags: [String] = []
    private var skipping = false

    init(wantFields: @escaping (VMA) -> Bool) { self.wantFields = wantFields }

    mutating func feed(_ t: ProcText, _ emit: (SmapsEntry) throws(PinctlError) -> Void) throws(PinctlError) {
        try t.forEachLine { (line) throws(PinctlError) in
            var rest = line
            guard let first = t.nextField(&rest) else { return }
            if t.bytes[first.upperBound - 1] != ProcText.colon, t.firstIndex(of: ProcText.dash, in: first) != nil {
                guard let v = ProcMaps.parseLine(t, line) else {
                    throw .invalidInput("not a /proc/PID/smaps header: '\(t.string(line).prefix(120))'")
                }
                if let done = take() { try emit(done) }
                vma = v
                skipping = !wantFields(v)
                return
            }
            guard vma != nil, t.bytes[first.upperBound - 1] == ProcText.colon else {
                throw .invalidInput("not a /proc/PID/smaps line: '\(t.string(line).prefix(120))'")
            }
            if skipping { return }
            let name = first.lowerBound..<(first.upperBound - 1)
            if t.equals(name, "VmFlags") {
                while let w = t.nextField(&rest) { flags.append(t.string(w)) }
            } else if let v = ProcSmaps.value(t, rest) {
                fields[t.string(name)] = v
            }
        }
    }

    /// The last VMA, which no header closed.
    mutating func finish(_ emit: (SmapsEntry) -> Void) {
        if let done = take() { emit(done) }
    }

    /// The VMA read so far; the next one's counters get room for as many (every VMA of one
    /// smaps file has the same fields, so the dictionary is not regrown at each).
    private mutating func take() -> SmapsEntry? {
        defer {
            vma = nil
            fields = Dictionary(minimumCapacity: fields.count)
            flags = []
        }
        return vma.map { SmapsEntry(vma: $0, fields: fields, vmFlags: flags) }
    }
}

/// A hand-written streaming JSON writer over an `OutputBuffer`: objects, arrays, keys and
/// values appended in order, commas placed by a per-depth flag, strings escaped as
/// `renderJSON` escapes them (JSONEncoder's rules plus `TerminalEscaping.escapeJSON`'s): `"`
/// and `\` escaped, C0 as `\n`-style or `\u00XX`, DEL, C1 controls, U+061C, U+200E/F,
/// U+2028/9, U+202A-E and U+2066-9 as `\uXXXX`, `/` left alone. Strings that were not
/// UTF-8 were decoded with U+FFFD before they got here (VMAReport keeps `pathBytes`).
public struct JSONWriter {
    public var out: OutputBuffer
    /// Bit d set: the container at depth d already has an element (the next needs a comma).
    private var hasElement: UInt64 = 0
    private var depth = 0
    private var afterKey = false

    public init(_ out: OutputBuffer) { self.out = out }

    /// Comma (when needed) before a value or key, and room for `n` bytes after it.
    @inline(__always)
    mutating func element(_ n: Int = OutputBuffer.slack) throws(PinctlError) {
        try out.reserve(n)
        if afterKey {
            afterKey = false
            return
        }
        if depth > 0 {
            let bit: UInt64 = 1 << UInt64(depth - 1)
            if hasElement & bit != 0 { out.byte(0x2c) } else { hasElement |= bit }
        }
    }

    public mutating func beginObject() throws(PinctlError) { try open(0x7b) }
    public mutating func endObject() throws(PinctlError) { try close(0x7d) }
    public mutating func beginArray() throws(PinctlError) { try open(0x5b) }
    public mutating func endArray() throws(PinctlError) { try close(0x5d) }

    /// `{` or `[`: an element of the enclosing container, and a new depth.
    private mutating func open(_ bracket: UInt8) throws(PinctlError) {
        try element()
        out.byte(bracket)
        push()
    }

    private mutating func close(_ bracket: UInt8) throws(PinctlError) {
        try out.reserve(1)
        pop()
        out.byte(bracket)
    }

    private mutating func push() {
        depth += 1
        precondition(depth <= 64, "JSONWriter: nesting deeper than 64")
        hasElement &= ~(1 << UInt64(depth - 1))
    }

    private mutating func pop() { depth -= 1 }

    /// A key whose text needs no escaping (pinctl's own keys).
    public mutating func key(_ k: StaticString) throws(PinctlError) {
        try element()
        out.byte(0x22)
        out.ascii(k)
        out.ascii("\":")
        afterKey = true
    }

    /// A key from data (smaps field names, flag names): escaped.
    public mutating func key(_ k: String) throws(PinctlError) {
        try string(k)
        try out.reserve(1)
        out.byte(0x3a)
        afterKey = true
    }

    public mutating func uint(_ v: UInt64) throws(PinctlError) {
        try element()
        out.decimal(v)
    }

    public mutating func int(_ v: Int64) throws(PinctlError) {
        try element()
        out.decimal(v)
    }

    public mutating func bool(_ v: Bool) throws(PinctlError) {
        try element()
        if v { out.ascii("true") } else { out.ascii("false") }
    }

    public mutating func null() throws(PinctlError) {
        try element()
        out.ascii("null")
    }

    /// `"0x..."`
    public mutating func hexString(_ v: UInt64) throws(PinctlError) {
        try element()
        out.byte(0x22)
        out.hex(v)
        out.byte(0x22)
    }

    public mutating func uint(_ v: UInt64?) throws(PinctlError) { if let v { try uint(v) } else { try null() } }
    public mutating func bool(_ v: Bool?) throws(PinctlError) { if let v { try bool(v) } else { try null() } }
    public mutating func string(_ v: String?) throws(PinctlError) { if let v { try string(v) } else { try null() } }

    public mutating func string(_ s: String) throws(PinctlError) {
        try element(8)
        out.byte(0x22)
        try withUTF8(of: s) { (b) throws(PinctlError) in try Self.escape(b, into: &out) }
        try out.reserve(1)
        out.byte(0x22)
    }

    public mutating func strings(_ a: [String]) throws(PinctlError) {
        try beginArray()
        for s in a { try string(s) }
        try endArray()
    }

    // MARK: Members. Most members are one key and one value: `"key":value` in one call.

    public mutating func field(_ k: StaticString, _ v: UInt64) throws(PinctlError) {
        try key(k)
        try uint(v)
    }

    public mutating func field(_ k: StaticString, _ v: UInt64?) throws(PinctlError) {
        try key(k)
        try uint(v)
    }

    public mutating func field(_ k: StaticString, _ v: Int64) throws(PinctlError) {
        try key(k)
        try int(v)
    }

    public mutating func field(_ k: StaticString, _ v: Bool) throws(PinctlError) {
        try key(k)
        try bool(v)
    }

    public mutating func field(_ k: StaticString, _ v: String) throws(PinctlError) {
        try key(k)
        try string(v)
    }

    public mutating func field(_ k: StaticString, _ v: [String]) throws(PinctlError) {
        try key(k)
        try strings(v)
    }

    /// `"key":"0x..."`
    public mutating func field(_ k: StaticString, hex v: UInt64) throws(PinctlError) {
        try key(k)
        try hexString(v)
    }

    /// A member left out when there is no value (smaps fields a kernel lacks), rather than
    /// written as null.
    public mutating func field(_ k: StaticString, ifPresent v: UInt64?) throws(PinctlError) {
        if let v { try field(k, v) }
    }

    /// An object of counters from data (flag names, smaps fields), keys sorted so the output
    /// does not depend on dictionary order.
    public mutating func field(_ k: StaticString, sorted counts: [String: UInt64]) throws(PinctlError) {
        try key(k)
        try beginObject()
        for (name, v) in counts.sorted(by: { $0.key < $1.key }) {
            try key(name)
            try uint(v)
        }
        try endObject()
    }

    // MARK: Ends. Every document and JSON-lines record ends with a newline.

    /// A newline after a top-level value.
    public mutating func newline() throws(PinctlError) {
        try out.reserve(1)
        out.byte(0x0a)
    }

    /// Closes the top-level object, ends the line and writes everything out.
    public mutating func endDocument() throws(PinctlError) {
        try endObject()
        try newline()
        try out.flush()
    }

    /// One object on one line (a JSON-lines record), written by `body` between the braces.
    public mutating func record(_ body: (inout JSONWriter) throws(PinctlError) -> Void) throws(PinctlError) {
        try beginObject()
        try body(&self)
        try endObject()
        try newline()
    }

    /// Bytes already JSON (a value rendered elsewhere): written as one element.
    public mutating func raw(_ json: UnsafeBufferPointer<UInt8>) throws(PinctlError) {
        try element(0)
        try out.bytes(json)
    }

    /// Writes well-formed UTF-8 `b` escaped for the inside of a JSON string.
    static func escape(_ b: UnsafeBufferPointer<UInt8>, into out: inout OutputBuffer) throws(PinctlError) {
        var copied = 0
        var i = 0
        func copy(upTo end: Int) throws(PinctlError) {
            if end > copied { try out.bytes(UnsafeBufferPointer(rebasing: b[copied..<end])) }
        }
        while i < b.count {
            let c = b[i]
            var length = 0
            var value: UInt32 = 0
            if c < 0x20 || c == 0x22 || c == 0x5c || c == 0x7f {
                (length, value) = (1, UInt32(c))
            } else if c < 0x80 {
                i += 1
                continue
            } else if c == 0xc2, i + 1 < b.count, (0x80...0x9f).contains(b[i + 1]) {
                (length, value) = (2, UInt32(b[i + 1]))
            } else if c == 0xd8, i + 1 < b.count, b[i + 1] == 0x9c {
                (length, value) = (2, 0x061c)
            } else if c == 0xe2, i + 2 < b.count, b[i + 1] == 0x80 || b[i + 1] == 0x81 {
                let v = 0x2000 | UInt32(b[i + 1] & 0x3f) << 6 | UInt32(b[i + 2] & 0x3f)
                if TerminalEscaping.isFormatControl(v) { (length, value) = (3, v) }
            }
            if length == 0 {
                i += 1
                continue
            }
            try copy(upTo: i)
            try out.reserve(6)
            switch value {
            case 0x22: out.ascii("\\\"")
            case 0x5c: out.ascii("\\\\")
            case 0x08: out.ascii("\\b")
            case 0x09: out.ascii("\\t")
            case 0x0a: out.ascii("\\n")
            case 0x0c: out.ascii("\\f")
            case 0x0d: out.ascii("\\r")
            default:
                out.ascii("\\u")
                let start = out.position
                out.hexDigits(UInt64(value) | 0x10000)
                // The 0x10000 guard digit keeps leading zeros; drop it.
                out.base[start] = out.base[start + 1]
                out.base[start + 1] = out.base[start + 2]
                out.base[start + 2] = out.base[start + 3]
                out.base[start + 3] = out.base[start + 4]
                out.count -= 1
            }
            i += length
            copied = i
        }
        try copy(upTo: b.count)
    }
}

/// Makes strings that came from the system (paths from /proc/PID/maps, comm, file names, the
/// user's own input echoed back) safe to print on root's terminal: no byte of them can start
/// an escape sequence, move the cursor, ring the bell, break a line, or reorder the text.
///
/// - C0 controls (0x00-0x1f) and DEL become `\xNN`; a backslash becomes `\\`, so every
///   escape reads back unambiguously.
/// - C1 controls (U+0080-U+009F: a UTF-8 terminal may take U+009B as CSI), the line and
///   paragraph separators and the bidirectional overrides and isolates (which make a path
///   display as another, "Trojan Source") become `\u{NNNN}`.
/// - Bytes that are not valid UTF-8 become `\xNN`, one per byte.
public enum TerminalEscaping {
    /// The text, escaped; the identity for ordinary text.
    public static func escape(_ text: String) -> String {
        var text = text
        // Valid UTF-8 with nothing to escape is by far the common case: no copy.
        let clean = text.withUTF8 { buf in buf.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != backslash } }
        if clean { return text }
        return escape(bytes: Array(text.utf8))
    }

    /// Several lines (a usage message) escaped one by one, their line breaks kept.
    public static func escapeLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { escape(String($0)) }.joined(separator: "\n")
    }

    /// Bytes as the kernel gave them (possibly not UTF-8), escaped.
    public static func escape<C: Collection>(bytes: C) -> String where C.Element == UInt8 {
        let b = Array(bytes)
        var out = ""
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if let (scalar, length) = decode(b, at: i) {
                appendEscaped(scalar, to: &out)
                i += length
            } else {
                out += "\\x" + hexByte(b[i])
                i += 1
            }
        }
        return out
    }

    /// A name the kernel gives as bytes (a comm, a path, a cgroup) as every report carries
    /// it: the text, with U+FFFD for bytes that are not UTF-8, and then the exact bytes in
    /// hex (the JSON's `commBytes`, `pathBytes`, ...); nil when the bytes are UTF-8. Text
    /// output shows the pair with `escape(text:hexBytes:)`.
    public static func textAndHexBytes<C: Collection>(_ bytes: C) -> (text: String, hexBytes: String?) where C.Element == UInt8 {
        let text = String(decoding: bytes, as: UTF8.self)
        return (text, String(validating: bytes, as: UTF8.self) == nil ? hex(bytes) : nil)
    }

    /// Bytes as lowercase hex, two digits each ("ff00").
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map(hexByte).joined()
    }

    /// Such a name for a terminal: from its exact bytes when it has them, so a byte that is
    /// not UTF-8 reads `\xff` in every command's text, never U+FFFD.
    public static func escape(text: String, hexBytes: String?) -> String {
        guard let hexBytes else { return escape(text) }
        var bytes: [UInt8] = []
        var it = hexBytes.utf8.makeIterator()
        while let hi = it.next(), let lo = it.next() {
            guard let h = NumberParsing.digitValue(hi), let l = NumberParsing.digitValue(lo) else { break }
            bytes.append(UInt8(h << 4 | l))
        }
        return escape(bytes: bytes)
    }

    /// The scalar starting at `i` and its length in bytes; nil when the bytes there are not
    /// well-formed UTF-8 (a stray continuation byte, a truncated sequence, an overlong form,
    /// a surrogate, or a value above U+10FFFF).
    static func decode(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let length: Int
        var value: UInt32
        let minimum: UInt32
        switch lead {
        case 0xc2...0xdf: (length, value, minimum) = (2, UInt32(lead & 0x1f), 0x80)
        case 0xe0...0xef: (length, value, minimum) = (3, UInt32(lead & 0x0f), 0x800)
        case 0xf0...0xf4: (length, value, minimum) = (4, UInt32(lead & 0x07), 0x10000)
        default: return nil
        }
        guard b.count - i >= length else { return nil }
        for k in 1..<length {
            let c = b[i + k]
            guard c & 0xc0 == 0x80 else { return nil }
            value = value << 6 | UInt32(c & 0x3f)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    static let backslash = UInt8(ascii: "\\")

    static func appendEscaped(_ s: Unicode.Scalar, to out: inout String) {
        let v = s.value
        if v == 0x5c {
            out += "\\\\"
        } else if v < 0x20 || v == 0x7f {
            out += "\\x" + hexByte(UInt8(v))
        } else if isFormatControl(v) {
            out += "\\u{" + String(v, radix: 16) + "}"
        } else {
            out.unicodeScalars.append(s)
        }
    }

    /// C1 controls, the line and paragraph separators, and the marks, embeddings, overrides
    /// and isolates that reorder bidirectional text.
    package static func isFormatControl(_ v: UInt32) -> Bool {
        (0x80...0x9f).contains(v) || v == 0x2028 || v == 0x2029 || (0x202a...0x202e).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0x200e || v == 0x200f || v == 0x061c
    }

    /// JSON text with DEL and every `isFormatControl` character written as `\uNNNN` (same data,
    /// still valid JSON; JSONEncoder escapes only C0, which leaves C1 to reach a terminal
    /// that shows the JSON). Structure is ASCII, so non-ASCII scalars are inside strings.
    public static func escapeJSON(_ json: String) -> String {
        var json = json
        // Bytes, not scalars: a report can be 100 MB, and one non-ASCII path must not make
        // it slow. Only DEL (7f), C1 (c2 80-9f), U+061C (d8 9c) and U+200E-U+2069 (e2 80-81 ..)
        // can need escaping; every other byte is copied in runs.
        let escaped = json.withUTF8 { b -> String? in
            var out: [UInt8] = []
            var copied = 0
            var i = 0
            while i < b.count {
                let c = b[i]
                if c < 0x7f {
                    i += 1
                    continue
                }
                var length = 0
                var value: UInt32 = 0
                if c == 0x7f {
                    (length, value) = (1, 0x7f)
                } else if c == 0xc2, i + 1 < b.count, (0x80...0x9f).contains(b[i + 1]) {
                    (length, value) = (2, UInt32(b[i + 1]))
                } else if c == 0xd8, i + 1 < b.count, b[i + 1] == 0x9c {
                    (length, value) = (2, 0x061c)
                } else if c == 0xe2, i + 2 < b.count, b[i + 1] == 0x80 || b[i + 1] == 0x81 {
                    value = 0x2000 | UInt32(b[i + 1] & 0x3f) << 6 | UInt32(b[i + 2] & 0x3f)
                    if isFormatControl(value) { length = 3 }
                }
                if length == 0 {
                    i += 1
                    continue
                }
                if out.isEmpty { out.reserveCapacity(b.count + 64) }
                out.append(contentsOf: b[copied..<i])
                let h = String(value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - h.count) + h).utf8)
                i += length
                copied = i
            }
            guard copied > 0 else { return nil }
            out.append(contentsOf: b[copied...])
            return String(decoding: out, as: UTF8.self)
        }
        return escaped ?? json
    }

    package static func hexByte(_ b: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return String([digits[Int(b >> 4)], digits[Int(b & 0xf)]])
    }
}

/// Printable ASCII without a backslash: a path that TerminalEscaping would leave as it is
/// (checked first: escaping scalar by scalar cost 50 us for a 200-byte name).
package func isPlain(_ path: [UInt8]) -> Bool {
    path.allSatisfy { $0 >= 0x20 && $0 < 0x7f && $0 != 0x5c }
}

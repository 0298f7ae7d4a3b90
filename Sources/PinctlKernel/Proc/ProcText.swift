#if canImport(Glibc)
    import Glibc
#endif

/// Byte-level scanning of /proc text, once read (ProcFileReader reads it). /proc is ASCII;
/// working on UTF-8 bytes instead of Characters makes parsing a large smaps ten times faster.
package struct ProcText {
    package let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }
    /// The bytes as read: paths in maps are bytes, not necessarily UTF-8.
    package init(bytes: [UInt8]) { self.bytes = bytes }

    package static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n")
    package static let colon = UInt8(ascii: ":"), dash = UInt8(ascii: "-")

    /// Calls `body` with each non-empty line's byte range.
    package func forEachLine(_ body: (Range<Int>) throws(PinctlError) -> Void) throws(PinctlError) {
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != Self.newline { end += 1 }
            if end > start { try body(start..<end) }
            start = end + 1
        }
    }

    package func string(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

    /// The next field of `r` separated by spaces or tabs; advances `r` past it.
    package func nextField(_ r: inout Range<Int>) -> Range<Int>? {
        var i = r.lowerBound
        while i < r.upperBound && (bytes[i] == Self.space || bytes[i] == Self.tab) { i += 1 }
        guard i < r.upperBound else { return nil }
        var j = i
        while j < r.upperBound && bytes[j] != Self.space && bytes[j] != Self.tab { j += 1 }
        r = j..<r.upperBound
        return i..<j
    }

    package func skipBlanks(_ r: Range<Int>) -> Range<Int> {
        var i = r.lowerBound
        while i < r.upperBound && (bytes[i] == Self.space || bytes[i] == Self.tab) { i += 1 }
        return i..<r.upperBound
    }

    /// Digits in `radix` with overflow checks; nil for empty, bad digits or overflow.
    package func number(_ r: Range<Int>, radix: UInt64) -> UInt64? {
        NumberParsing.digits(bytes[r], radix: radix)
    }

    func firstIndex(of byte: UInt8, in r: Range<Int>) -> Int? {
        var i = r.lowerBound
        while i < r.upperBound {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    package func equals(_ r: Range<Int>, _ s: StaticString) -> Bool {
        guard r.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for (k, i) in r.enumerated() where bytes[i] != p[k] { return false }
        return true
    }
}

/// Numbers as users type them: `0x7f00...` or decimal, sizes with K/M/G suffixes.
/// Every step is overflow-checked; nil means "not a number of this kind". A space or tab
/// anywhere is not part of a number (`-m ' 5'` is a usage error, as `-m 5x` is): callers
/// that read padded /proc text trim it themselves.
public enum NumberParsing {
    /// Hex with 0x, or decimal without a leading zero (`hasLeadingZero`).
    public static func parseUInt64(_ text: Substring) -> UInt64? {
        let s = text
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            return parseDigits(s.dropFirst(2), radix: 16)
        }
        if hasLeadingZero(s) { return nil }
        return parseDigits(s, radix: 10)
    }

    /// "010": digits after a leading zero, which page-types and strtoul(3) read as octal
    /// (8) and a decimal reader as 10. pinctl reads no octal: such a number is refused, with
    /// `leadingZeroAdvice`, rather than read one of the two ways. The kernel prints none.
    public static func hasLeadingZero(_ s: Substring) -> Bool {
        s.utf8.count > 1 && s.utf8.first == UInt8(ascii: "0") && s.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    public static let leadingZeroAdvice =
        "a leading zero (page-types reads 010 as octal 8, pinctl reads no octal): drop the zero for decimal, or write hex with 0x"

    /// A size: a number with an optional K, M, G or T suffix (powers of 1024), optionally
    /// followed by "B" or "iB" ("64K", "2MiB", "0x1000").
    public static func parseSize(_ text: Substring) -> UInt64? {
        var s = text
        // "2MiB" and "2MB" mean 2M; a bare trailing B after a digit stays (it is hex in 0x1B).
        if s.hasSuffix("iB"), s.count > 2, unitShift(s.dropLast(2).last) != nil {
            s = s.dropLast(2)
        } else if s.hasSuffix("B"), s.count > 1, unitShift(s.dropLast().last) != nil {
            s = s.dropLast()
        }
        var shift: UInt64 = 0
        if let u = unitShift(s.last) {
            shift = u
            s = s.dropLast()
        }
        guard let base = parseUInt64(s) else { return nil }
        let r = base.multipliedReportingOverflow(by: 1 << shift)
        return r.overflow ? nil : r.partialValue
    }

    static func unitShift(_ c: Character?) -> UInt64? {
        switch c {
        case "K", "k": return 10
        case "M", "m": return 20
        case "G", "g": return 30
        case "T", "t": return 40
        default: return nil
        }
    }

    static func parseDigits(_ s: Substring, radix: UInt64) -> UInt64? {
        digits(s.utf8, radix: radix)
    }

    /// Digits in `radix` with overflow checks; nil for none, a bad digit (a '_' too: '1_0'
    /// must not read as 10) or overflow.
    package static func digits<C: Collection>(_ bytes: C, radix: UInt64) -> UInt64? where C.Element == UInt8 {
        guard !bytes.isEmpty else { return nil }
        var v: UInt64 = 0
        for ch in bytes {
            guard let d = digitValue(ch), d < radix else { return nil }
            let m = v.multipliedReportingOverflow(by: radix)
            if m.overflow { return nil }
            let a = m.partialValue.addingReportingOverflow(d)
            if a.overflow { return nil }
            v = a.partialValue
        }
        return v
    }

    @inline(__always)
    package static func digitValue(_ ch: UInt8) -> UInt64? {
        switch ch {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(ch - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(ch - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt64(ch - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Hex as /proc prints it (no 0x): "7f3a2c000000".
    public static func parseHex<S: StringProtocol>(_ s: S) -> UInt64? {
        parseDigits(Substring(s), radix: 16)
    }
}

extension Substring {
    package func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// "0x7f3a2c000000"
@inline(__always)
public func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// "1.5 GiB", "64 KiB", "4096 B": for humans, never parsed back.
public func humanBytes(_ v: UInt64) -> String {
    let units: [(UInt64, String)] = [
        (1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"),
    ]
    for (size, name) in units where v >= size {
        if v % size == 0 { return "\(v / size) \(name)" }
        let tenths = (v % size) * 10 / size
        return "\(v / size).\(tenths) \(name)"
    }
    return "\(v) B"
}

extension NumberParsing {
    /// "90s", "5m", "1h", "250ms", "1.5s" or plain seconds ("30"); nil when malformed (a
    /// blank too, as in sizes), negative, above a year, or above 0 but below the 1 ms that
    /// the smallest unit, ms, can say.
    public static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var body = Substring(text)
        var scale = 1.0
        for (suffix, s) in units where body.hasSuffix(suffix) {
            body = body.dropLast(suffix.count)
            scale = s
            break
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            body.filter({ $0 == "." }).count <= 1, let v = Double(body)
        else { return nil }
        let seconds = v * scale
        guard seconds.isFinite, seconds == 0 || seconds >= 0.001, seconds <= 366 * 86400 else { return nil }
        return seconds
    }
}

/// What to inspect in a process: an address, a range, or the VMAs of a mapping.
public enum InspectTarget: Equatable, Sendable, CustomStringConvertible {
    case address(UInt64)
    /// [start, end): end exclusive, as /proc/PID/maps prints it.
    case range(start: UInt64, end: UInt64)
    /// "[stack]", "[heap]", "[vdso]", a full path, or a basename such as "libc.so.6".
    case mapping(String)

    /// `0x7f00`, `0x7f00-0x7f80`, `0x7f00+64K`, or a mapping name.
    public static func parse(_ text: String) throws(PinctlError) -> InspectTarget {
        let t = Substring(text).trimmingSpaces()
        guard !t.isEmpty else {
            throw .invalidInput(
                "empty target: give an address (0x7f..), a range (0x7f..-0x7f.. or 0x7f..+64K) or a mapping name ([stack], libc.so.6)")
        }
        if t.count != text.count, (try? parse(String(t)))?.isNumeric == true {
            throw .invalidInput("'\(text)' has blanks around an address: write it without them (0x7f3a2c000000)")
        }
        // "010", "010+4K", "0x1000-02000": a number with a leading zero where a number goes.
        let sep = t.firstIndex { $0 == "-" || $0 == "+" }
        let head = t[..<(sep ?? t.endIndex)]
        var zeroed = NumberParsing.hasLeadingZero(head) ? head : nil
        if let sep, t[sep] == "-", NumberParsing.parseUInt64(head) != nil, NumberParsing.hasLeadingZero(t[t.index(after: sep)...]) {
            zeroed = t[t.index(after: sep)...]
        }
        if let zeroed { throw .invalidInput("'\(text)': '\(zeroed)' has \(NumberParsing.leadingZeroAdvice)") }
        if let a = NumberParsing.parseUInt64(t) { return .address(a) }
        for sep in ["-", "+"] as [Character] {
            guard let i = t.firstIndex(of: sep) else { continue }
            let left = t[..<i], right = t[t.index(after: i)...]
            guard let start = NumberParsing.parseUInt64(left) else { continue }
            if sep == "-" {
                guard let end = NumberParsing.parseUInt64(right) else {
                    throw .invalidInput("'\(text)': the end of the range is not a number: write 0xSTART-0xEND")
                }
                guard end > start else {
                    throw .invalidInput("'\(text)': the range is empty or backwards: the end must be above the start")
                }
                return .range(start: start, end: end)
            }
            guard let len = NumberParsing.parseSize(right) else {
                throw .invalidInput("'\(text)': '\(right)' is not a size: write e.g. 0x7f00+64K, +2M or +0x1000")
            }
            guard len > 0 else { throw .invalidInput("'\(text)': the length is zero: give a size above 0") }
            let end = start.addingReportingOverflow(len)
            guard !end.overflow else {
                throw .invalidInput("'\(text)': start plus length overflows 64 bits: give a smaller length")
            }
            return .range(start: start, end: end.partialValue)
        }
        // Something that starts like a number but isn't one is a typo, not a file name.
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            throw .invalidInput("'\(text)' is not an address: hex addresses look like 0x7f3a2c000000")
        }
        if t.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw .invalidInput("'\(text)' is not an address: it is above 2^64-1 (0xffffffffffffffff)")
        }
        // '1_000' once read as 1000; now it would be a mapping name, silently: say what it is.
        if t.contains("_"), let asNumber = try? parse(String(t.filter { $0 != "_" })), asNumber.isNumeric {
            throw .invalidInput("'\(text)' is not an address: write numbers without '_' (0x7f3a2c000000)")
        }
        return .mapping(String(t))
    }

    var isNumeric: Bool {
        if case .mapping = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .address(let a): return hex(a)
        case .range(let s, let e): return "\(hex(s))-\(hex(e))"
        case .mapping(let m): return m
        }
    }
}

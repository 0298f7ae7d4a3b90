/// `--flags EXPR`: tools/mm/page-types' `-b` (parse_bits_mask and bit_mask_ok), matched
/// against page-types' raw-mode word (`PageTypesFlags.expand`). Each `--flags` is one filter;
/// a page is selected when it passes every filter (page-types ANDs its `-b` options too):
///
/// | EXPR | selects |
/// |---|---|
/// | `a,b` | `(flags & (a\|b)) != 0`: any of them |
/// | `a,~b` | `(flags & (a\|b)) == a`: a set and b clear |
/// | `a,b=a` | `(flags & (a\|b)) == a` |
/// | `=a,b` | `flags == (a\|b)` exactly |
///
/// A name is a page-types long name, one of pinctl's (`anon`, `idle`, `mappedtodisk`),
/// `compound` (compound_head and compound_tail), `bitN`, a number (`0x10`, `16`), or a
/// prefix, resolved as page-types resolves it (`compound` first, then the first name in bit
/// order). Unlike page-types, a token that names nothing is an error, not a silent 0 or an
/// octal number.
public struct FlagFilter: Sendable, Equatable {
    public var mask: UInt64
    /// `UInt64.max`: any bit of `mask` (page-types' KPF_ALL_BITS).
    public var bits: UInt64

    public init(mask: UInt64, bits: UInt64) {
        self.mask = mask
        self.bits = bits
    }

    @inline(__always)
    public func matches(_ word: UInt64) -> Bool {
        bits == .max ? word & mask != 0 : word & mask == bits
    }
}

public struct FlagExpression: Sendable, Equatable, CustomStringConvertible {
    public var filters: [FlagFilter]
    /// The expressions as given, for the report.
    public var text: [String]

    public init(filters: [FlagFilter], text: [String]) {
        self.filters = filters
        self.text = text
    }

    /// Parses every `--flags` given; page-types allows at most 64 `-b`.
    public static func parse(_ expressions: [String]) throws(PinctlError) -> FlagExpression {
        guard expressions.count <= 64 else { throw .invalidInput("--flags: \(expressions.count) expressions; give at most 64") }
        var out: [FlagFilter] = []
        for e in expressions { out.append(try parseOne(e)) }
        return FlagExpression(filters: out, text: expressions)
    }

    @inline(__always)
    public func matches(_ word: UInt64) -> Bool {
        for f in filters where !f.matches(word) { return false }
        return true
    }

    public var description: String { text.joined(separator: " and ") }

    /// One `-b` argument (parse_bits_mask).
    public static func parseOne(_ expr: String) throws(PinctlError) -> FlagFilter {
        let s = Array(expr.utf8)
        guard !s.isEmpty else { throw .invalidInput("--flags: empty expression; give flag names such as 'mlocked,~lru'") }
        guard s.count <= 4096 else { throw .invalidInput("--flags: expression of \(s.count) bytes; at most 4096") }
        for b in s where b <= 0x20 || b >= 0x7f {
            throw .invalidInput("--flags \(expr): only ASCII flag names, ',', '~' and '=' are allowed")
        }
        let eq = s.firstIndex(of: 0x3d)
        if eq == 0 {
            return FlagFilter(mask: .max, bits: try names(s[1...], all: false, expr))
        } else if let eq {
            return FlagFilter(mask: try names(s[..<eq], all: false, expr), bits: try names(s[(eq + 1)...], all: false, expr))
        } else if s.contains(0x7e) {
            return FlagFilter(mask: try names(s[...], all: true, expr), bits: try names(s[...], all: false, expr))
        }
        return FlagFilter(mask: try names(s[...], all: false, expr), bits: .max)
    }

    /// parse_flag_names: the OR of a comma list up to the next '=' (or the end). A `~name`
    /// counts only when `all` (the mask side of `a,~b`). `option` is how the user gave the
    /// expression, for the error: `--flags` of phys, inspect and census, `flags` of the
    /// command of that name.
    static func names(_ s: ArraySlice<UInt8>, all: Bool, _ expr: String, option: String = "--flags") throws(PinctlError) -> UInt64 {
        var flags: UInt64 = 0
        let end = s.firstIndex(of: 0x3d) ?? s.endIndex
        for token in s[s.startIndex..<end].split(separator: 0x2c, omittingEmptySubsequences: false) {
            var t = token
            if t.first == 0x7e {
                guard all else { continue }
                t = t.dropFirst()
            }
            if t.isEmpty { continue }
            flags |= try name(t, expr, option: option)
        }
        return flags
    }

    /// parse_flag_name: a name, prefix or number to its bits.
    static func name(_ t: ArraySlice<UInt8>, _ expr: String, option: String = "--flags") throws(PinctlError) -> UInt64 {
        let word = String(decoding: t, as: UTF8.self)
        if let b = PageTypesFlags.aliases[word] { return 1 << UInt64(b) }
        if word.utf8.count <= 8 && "compound".hasPrefix(word) { return KPageFlags.compoundHead.rawValue | KPageFlags.compoundTail.rawValue }
        for (bit, n) in PageTypesFlags.names where n.hasPrefix(word) { return 1 << UInt64(bit) }
        if word.hasPrefix("bit"), let n = Int(word.dropFirst(3)), n >= 0, n < 64, word.utf8.count <= 5 { return 1 << UInt64(n) }
        let digits = word.utf8
        let isNumber = digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (digits.first != 0x30 || digits.count == 1)
        if isNumber || word.hasPrefix("0x") || word.hasPrefix("0X"), let v = NumberParsing.parseUInt64(Substring(word)) { return v }
        throw .invalidInput(
            "\(option) \(expr): '\(word)' is not a page flag; give names such as lru, mlocked, anon, slab, reserved (see --help), bitN, or a number such as 0x20"
        )
    }
}

/// What `page-types -d` prints for a flag word: the word in hex, one letter per named bit (`_`
/// when clear) and the names of the bits set (tools/mm/page-types.c, describe_flags).
public struct PageFlagDescription: Codable, Sendable, Equatable {
    public var word: UInt64
    public var letters: String
    public var names: [String]

    /// The line page-types -d prints: "0x%016llx\tLETTERS\tname,name".
    public var pageTypesLine: String {
        let hex = String(word, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - hex.utf8.count) + hex + "\t" + letters + "\t"
            + names.joined(separator: ",")
    }

    /// The one-letter names of page_flag_names (page-types 6.12), by bit: the columns of its
    /// flag strings.
    public static let letters: [Int: Character] = [
        0: "L", 1: "E", 2: "R", 3: "U", 4: "D", 5: "l", 6: "A", 7: "S", 8: "W", 9: "I", 10: "B", 11: "M", 12: "a",
        13: "s", 14: "b", 15: "H", 16: "T", 17: "G", 18: "u", 19: "X", 20: "n", 21: "x", 22: "t", 23: "o", 24: "z",
        25: "i", 26: "g", 32: "r", 33: "m", 34: "d", 35: "P", 36: "p", 37: "O", 38: "h", 40: "f", 41: "H", 47: "d",
        48: "I", 50: "A", 51: "E", 61: "F", 62: "w", 63: "1",
    ]

    /// Describes `expression`: flag names, prefixes or numbers, comma-separated, ORed (a `~name`
    /// is skipped and `=` ends the list, as page-types -d reads them).
    public static func describe(_ expression: String) throws(PinctlError) -> PageFlagDescription {
        let s = Array(expression.utf8)
        guard !s.isEmpty else {
            throw .invalidInput("flags: empty argument; give flag names such as 'lru,active' or a number such as 0x60")
        }
        guard s.count <= 4096 else { throw .invalidInput("flags: argument of \(s.count) bytes; at most 4096") }
        for b in s where b <= 0x20 || b >= 0x7f {
            throw .invalidInput(
                "flags \(expression): only ASCII flag names, numbers, ',', '~' and '=' are allowed")
        }
        let word = try FlagExpression.names(s[...], all: false, expression, option: "flags")
        return try describe(word: word, expression)
    }

    /// Describes a flag word; every bit set must have a name (page-types stops at one that has not).
    public static func describe(word: UInt64, _ expression: String) throws(PinctlError) -> PageFlagDescription {
        let named = Dictionary(uniqueKeysWithValues: PageTypesFlags.names.map { ($0.bit, $0.name) })
        for bit in 0..<64 where word >> UInt64(bit) & 1 == 1 && named[bit] == nil {
            throw .invalidInput(
                "flags \(expression): bit \(bit) (0x\(String(UInt64(1) << UInt64(bit), radix: 16))) has no name in page-types' flag word; the named bits are 0-26, 32-38, 40, 41, 47, 48, 50, 51 and 61-63"
            )
        }
        var letters = ""
        var names: [String] = []
        for (bit, name) in PageTypesFlags.names {
            let set = word >> UInt64(bit) & 1 == 1
            letters.append(set ? (Self.letters[bit] ?? "?") : "_")
            if set { names.append(name) }
        }
        return PageFlagDescription(word: word, letters: letters, names: names)
    }
}

/// What `pinctl pin` pins: memory it maps itself, described on the command line.
public enum PinRangeSpec: Equatable, Sendable, CustomStringConvertible {
    /// A fresh private anonymous mapping; `thp` asks MADV_HUGEPAGE, `hugetlb` MAP_HUGETLB,
    /// `noTHP` MADV_NOHUGEPAGE (4K pages even where THP is "always").
    case anon(size: UInt64, thp: Bool, hugetlb: Bool, noTHP: Bool = false)
    /// A memfd (shmem), mapped shared.
    case memfd(size: UInt64)
    /// A POSIX shared-memory object /dev/shm/NAME (tmpfs), mapped shared.
    case shm(name: String, size: UInt64)
    /// A file's page cache, [offset, offset+length), mapped shared (as vmtouch -l does).
    /// A nil length means to the end of the file.
    case file(path: String, offset: UInt64, length: UInt64?)

    static let hugeSize: UInt64 = 2 << 20
    /// The largest size a range may have: lengths reach mmap(2) as size_t and ftruncate(2)
    /// as off_t, so a size must fit in a signed 64-bit number, after rounding to its page
    /// size and with room for the alignment slack a ,thp mapping takes.
    public static let maxSize: UInt64 = 1 << 62
    /// NAME_MAX: the longest file name /dev/shm takes.
    static let maxNameBytes = 255

    static let usage =
        "write anon:SIZE[,thp|,hugetlb|,nothp], memfd:SIZE, shm:NAME:SIZE or file:PATH[@OFFSET][+LEN] (sizes with K, M, G, T; in PATH a backslash makes the next +, @ or backslash literal)"

    /// `anon:SIZE[,thp|,hugetlb|,nothp]`, `memfd:SIZE`, `shm:NAME:SIZE`, `file:PATH[@OFFSET][+LEN]`.
    public static func parse(_ text: String) throws(PinctlError) -> PinRangeSpec {
        // Separators are found in bytes (scalars in file: paths): on Characters, a scalar
        // that joins one into its grapheme (U+0600 before "@", a combining mark after it) hid
        // it, and the rest was read as part of the name or path.
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw .invalidInput("'\(text)' is not a range: \(usage)")
        }
        let kind = text[..<colon]
        let rest = text[text.utf8.index(after: colon)...]
        switch kind {
        case "anon":
            let parts = rest.split(separator: ",", omittingEmptySubsequences: false)
            var thp = false, hugetlb = false, noTHP = false
            for opt in parts.dropFirst() {
                switch opt {
                case "thp": thp = true
                case "hugetlb": hugetlb = true
                case "nothp": noTHP = true
                default: throw .invalidInput("'\(text)': unknown option '\(opt)': anon takes ,thp, ,hugetlb or ,nothp")
                }
            }
            if [thp, hugetlb, noTHP].filter({ $0 }).count > 1 {
                throw .invalidInput("'\(text)': choose one of ,thp, ,hugetlb and ,nothp")
            }
            let s = try size(parts.first ?? "", in: text, align: thp || hugetlb ? hugeSize : PagemapReader.pageSize)
            return .anon(size: s, thp: thp, hugetlb: hugetlb, noTHP: noTHP)
        case "memfd":
            return .memfd(size: try size(rest, in: text))
        case "shm":
            guard let c = rest.utf8.lastIndex(of: UInt8(ascii: ":")) else {
                throw .invalidInput("'\(text)': shm needs a name and a size: shm:NAME:SIZE")
            }
            let name = String(rest[..<c])
            try checkShmName(name, in: text)
            return .shm(name: name, size: try size(rest[rest.utf8.index(after: c)...], in: text))
        case "file":
            return try parseFile(rest, in: text)
        default:
            throw .invalidInput("'\(text)': unknown range kind '\(kind)': \(usage)")
        }
    }

    /// A size above zero, rounded up to `align`, at most `maxSize`.
    static func size(_ s: Substring, in text: String, align: UInt64 = PagemapReader.pageSize) throws(PinctlError) -> UInt64 {
        guard let v = NumberParsing.parseSize(s) else {
            throw .invalidInput(
                "'\(text)': '\(s)' is not a size (or does not fit in 64 bits): give a number with K, M, G or T, at most \(humanBytes(maxSize))"
            )
        }
        guard v > 0 else { throw .invalidInput("'\(text)': the size is zero: give a size above zero") }
        guard let r = roundUp(v, to: align), r <= maxSize else {
            throw .invalidInput("'\(text)': \(s) is too large: a range is at most \(humanBytes(maxSize)) (give a smaller size)")
        }
        return r
    }

    /// One file name in /dev/shm: no '/', not '.' or '..', not empty, at most NAME_MAX bytes.
    static func checkShmName(_ name: String, in text: String) throws(PinctlError) {
        guard !name.isEmpty else { throw .invalidInput("'\(text)': the shm name is empty: write shm:NAME:SIZE") }
        // In bytes: "\u{600}/" is one Character, and /dev/shm/\u{600}/x is a subdirectory.
        guard !name.utf8.contains(UInt8(ascii: "/")), name != ".", name != "..", !name.utf8.contains(0) else {
            throw .invalidInput("'\(text)': a shm name is one file name in /dev/shm, without '/' (and not '.' or '..')")
        }
        // The message carries the name as it is: every error line is escaped for the
        // terminal where it is printed (TerminalEscaping), so escaping it here too would
        // show it doubled.
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw .invalidInput("shm name '\(name)' has control characters (newline, escape...): give a printable name")
        }
        guard name.utf8.count <= maxNameBytes else {
            throw .invalidInput(
                "'\(text)': the shm name is \(name.utf8.count) bytes; /dev/shm takes names of at most \(maxNameBytes) bytes (ENAMETOOLONG): give a shorter name"
            )
        }
    }

    /// `PATH[@OFFSET][+LEN]`. An unescaped `@` or `+` always starts OFFSET or LEN, so a path
    /// is never silently cut short: a literal `+`, `@` or `\` in PATH is written `\+`, `\@`, `\\`.
    static func parseFile(_ rest: Substring, in text: String) throws(PinctlError) -> PinRangeSpec {
        var path = ""
        var fields: [(Unicode.Scalar, String)] = []
        var escaped = false
        for ch in rest.unicodeScalars {
            if escaped {
                guard ch == "+" || ch == "@" || ch == "\\" else {
                    throw .invalidInput(
                        "'\(text)': a backslash before '\(ch)' escapes nothing: in file:PATH a backslash makes only the next +, @ or backslash literal"
                    )
                }
                if fields.isEmpty { path.unicodeScalars.append(ch) } else { fields[fields.count - 1].1.unicodeScalars.append(ch) }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else if ch == "@" || ch == "+" {
                fields.append((ch, ""))
            } else if fields.isEmpty {
                path.unicodeScalars.append(ch)
            } else {
                fields[fields.count - 1].1.unicodeScalars.append(ch)
            }
        }
        if escaped { throw .invalidInput("'\(text)': a trailing backslash escapes nothing: double it for a literal backslash") }
        guard !path.isEmpty else { throw .invalidInput("'\(text)': no path: write file:PATH[@OFFSET][+LEN]") }
        let marks = fields.map(\.0)
        guard marks == [] || marks == ["@"] || marks == ["+"] || marks == ["@", "+"] else {
            throw .invalidInput(
                "'\(text)': file:PATH takes at most one @OFFSET and then one +LEN; write \\+ or \\@ for a literal + or @ in the path")
        }
        var offset: UInt64 = 0
        var length: UInt64? = nil
        for (mark, value) in fields {
            guard let v = NumberParsing.parseSize(Substring(value)) else {
                let what = mark == "@" ? "an offset" : "a length"
                throw .invalidInput(
                    "'\(text)': '\(mark)\(value)' is not \(what) (or does not fit in 64 bits): write \\\(mark) for a literal '\(mark)' in the path"
                )
            }
            if mark == "@" {
                offset = v
            } else {
                guard v > 0 else { throw .invalidInput("'\(text)': the length is zero: give +LEN above 0 or leave it out") }
                length = v
            }
        }
        guard offset < maxSize else {
            throw .invalidInput("'\(text)': offset \(hex(offset)) is too large: an offset is below \(humanBytes(maxSize))")
        }
        // Offsets round down and lengths up to whole pages.
        let alignedOffset = offset & ~(PagemapReader.pageSize - 1)
        if let l = length {
            let end = offset.addingReportingOverflow(l)
            guard !end.overflow, let endUp = roundUp(end.partialValue, to: PagemapReader.pageSize), endUp <= maxSize else {
                throw .invalidInput("'\(text)': offset plus length is too large: they must end below \(humanBytes(maxSize))")
            }
            length = endUp - alignedOffset
        }
        return .file(path: path, offset: alignedOffset, length: length)
    }

    public var description: String {
        switch self {
        case .anon(let s, let thp, let hugetlb, let noTHP):
            return "anon:\(humanBytes(s))\(thp ? ",thp" : "")\(hugetlb ? ",hugetlb" : "")\(noTHP ? ",nothp" : "")"
        case .memfd(let s): return "memfd:\(humanBytes(s))"
        case .shm(let n, let s): return "shm:\(n):\(humanBytes(s))"
        case .file(let p, let o, let l): return "file:\(Self.escapePath(p))@\(hex(o))" + (l.map { "+\(humanBytes($0))" } ?? "")
        }
    }
}

extension PinRangeSpec {
    /// A path as file:PATH spells it: `+`, `@` and `\` escaped.
    public static func escapePath(_ path: String) -> String {
        var out = ""
        for ch in path.unicodeScalars {
            if ch == "+" || ch == "@" || ch == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(ch)
        }
        return out
    }
}

/// `v` rounded up to a multiple of `align` (a power of two); nil on overflow.
func roundUp(_ v: UInt64, to align: UInt64) -> UInt64? {
    let r = v.addingReportingOverflow(align - 1)
    return r.overflow ? nil : r.partialValue & ~(align - 1)
}

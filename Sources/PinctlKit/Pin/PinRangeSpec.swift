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

    /// `anon:SIZE[,thp|,hugetlb|,nothp]`, `memfd:SIZE`, `shm:NAME:SIZE`, `file:PATH[@OFFSET][+LEN]`.
    public static func parse(_ text: String) throws(PinctlError) -> PinRangeSpec {
        let usage = "write anon:SIZE[,thp|,hugetlb|,nothp], memfd:SIZE, shm:NAME:SIZE or file:PATH[@OFFSET][+LEN] (sizes with K, M, G)"
        // Separators are found in bytes: on Characters, a scalar that joins one into its
        // grapheme (U+0600 before "@", a combining mark after it) hid it, and the rest was
        // read as part of the path.
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw .invalidInput("'\(text)' is not a range: \(usage)")
        }
        let kind = text[..<colon]
        let rest = text[text.utf8.index(after: colon)...]
        func size(_ s: Substring, align: UInt64 = PagemapReader.pageSize) throws(PinctlError) -> UInt64 {
            guard let v = NumberParsing.parseSize(s), v > 0 else {
                throw .invalidInput("'\(text)': '\(s)' is not a size above zero: \(usage)")
            }
            guard let r = roundUp(v, to: align) else {
                throw .invalidInput("'\(text)': \(s) overflows when rounded up to \(humanBytes(align)): give a smaller size")
            }
            return r
        }
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
            let s = try size(parts.first ?? "", align: thp || hugetlb ? hugeSize : PagemapReader.pageSize)
            return .anon(size: s, thp: thp, hugetlb: hugetlb, noTHP: noTHP)
        case "memfd":
            return .memfd(size: try size(rest))
        case "shm":
            guard let c = rest.utf8.lastIndex(of: UInt8(ascii: ":")), c != rest.startIndex else {
                throw .invalidInput("'\(text)': shm needs a name and a size: shm:NAME:SIZE")
            }
            let name = String(rest[..<c])
            // In bytes: "\u{600}/" is one Character, and /dev/shm/\u{600}/x is a subdirectory.
            guard !name.utf8.contains(UInt8(ascii: "/")), name != ".", name != ".." else {
                throw .invalidInput("'\(text)': a shm name is one file name in /dev/shm, without '/'")
            }
            return .shm(name: name, size: try size(rest[rest.utf8.index(after: c)...]))
        case "file":
            var path = rest
            var length: UInt64? = nil
            var offset: UInt64 = 0
            if let plus = path.utf8.lastIndex(of: UInt8(ascii: "+")), let l = NumberParsing.parseSize(path[path.utf8.index(after: plus)...])
            {
                guard l > 0 else { throw .invalidInput("'\(text)': the length is zero: give +LEN above 0 or leave it out") }
                length = l
                path = path[..<plus]
            }
            if let at = path.utf8.lastIndex(of: UInt8(ascii: "@")), let o = NumberParsing.parseSize(path[path.utf8.index(after: at)...]) {
                offset = o
                path = path[..<at]
            }
            guard !path.isEmpty else { throw .invalidInput("'\(text)': no path: write file:PATH[@OFFSET][+LEN]") }
            // Offsets round down and lengths up to whole pages.
            let alignedOffset = offset & ~(PagemapReader.pageSize - 1)
            if let l = length {
                let end = offset.addingReportingOverflow(l)
                guard !end.overflow, let endUp = roundUp(end.partialValue, to: PagemapReader.pageSize) else {
                    throw .invalidInput("'\(text)': offset plus length overflows 64 bits")
                }
                length = endUp - alignedOffset
            }
            return .file(path: String(path), offset: alignedOffset, length: length)
        default:
            throw .invalidInput("'\(text)': unknown range kind '\(kind)': \(usage)")
        }
    }

    public var description: String {
        switch self {
        case .anon(let s, let thp, let hugetlb, let noTHP):
            return "anon:\(humanBytes(s))\(thp ? ",thp" : "")\(hugetlb ? ",hugetlb" : "")\(noTHP ? ",nothp" : "")"
        case .memfd(let s): return "memfd:\(humanBytes(s))"
        case .shm(let n, let s): return "shm:\(n):\(humanBytes(s))"
        case .file(let p, let o, let l): return "file:\(p)@\(hex(o))" + (l.map { "+\(humanBytes($0))" } ?? "")
        }
    }
}

/// `v` rounded up to a multiple of `align` (a power of two); nil on overflow.
func roundUp(_ v: UInt64, to align: UInt64) -> UInt64? {
    let r = v.addingReportingOverflow(align - 1)
    return r.overflow ? nil : r.partialValue & ~(align - 1)
}

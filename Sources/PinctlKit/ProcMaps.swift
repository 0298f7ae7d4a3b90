/// One line of /proc/PID/maps: a VMA.
public struct VMA: Equatable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// "rw-p": read, write, execute, and p(rivate) or s(hared).
    public var perms: String
    public var offset: UInt64
    /// "fd:01" as the kernel prints major:minor.
    public var dev: String
    public var inode: UInt64
    /// A path, "[heap]", "[stack]", "[vdso]", "[anon:name]", or "" for plain anonymous memory.
    public var path: String

    public var size: UInt64 { end - start }
    public var isShared: Bool { perms.hasSuffix("s") }
    public var isWritable: Bool { perms.utf8.dropFirst().first == UInt8(ascii: "w") }
    public var isReadable: Bool { perms.utf8.first == UInt8(ascii: "r") }
    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }
    public func overlaps(_ lo: UInt64, _ hi: UInt64) -> Bool { start < hi && lo < end }

    /// The basename of a file path ("libc.so.6"), or the whole name for [special] ones.
    public var basename: String {
        guard path.hasPrefix("/") else { return path }
        let trimmed = path.hasSuffix(" (deleted)") ? String(path.dropLast(10)) : path
        return String(trimmed.split(separator: "/").last ?? Substring(trimmed))
    }
}

/// Parses /proc/PID/maps.
public enum ProcMaps {
    /// Parses the whole file; a malformed line is an error naming it (the kernel never
    /// writes one, so it means the input is not a maps file).
    public static func parse(_ text: String) throws(PinctlError) -> [VMA] {
        var vmas: [VMA] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let vma = parseLine(line) else {
                throw .invalidInput("not a /proc/PID/maps line: '\(line.prefix(120))'")
            }
            vmas.append(vma)
        }
        return vmas
    }

    /// `start-end perms offset dev inode [path]`; the path keeps its inner spaces.
    public static func parseLine(_ line: Substring) -> VMA? {
        var rest = line[...]
        func field() -> Substring? {
            while rest.first == " " { rest = rest.dropFirst() }
            guard !rest.isEmpty else { return nil }
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            let f = rest[rest.startIndex..<end]
            rest = rest[end...]
            return f
        }
        guard let range = field(), let perms = field(), let off = field(), let dev = field(),
            let inodeText = field()
        else { return nil }
        let bounds = range.split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let start = NumberParsing.parseHex(bounds[0]),
            let end = NumberParsing.parseHex(bounds[1]), start <= end,
            perms.utf8.count == 4, let offset = NumberParsing.parseHex(off),
            let inode = NumberParsing.parseDigits(inodeText, radix: 10)
        else { return nil }
        while rest.first == " " { rest = rest.dropFirst() }
        return VMA(
            start: start, end: end, perms: String(perms), offset: offset, dev: String(dev),
            inode: inode, path: String(rest))
    }
}

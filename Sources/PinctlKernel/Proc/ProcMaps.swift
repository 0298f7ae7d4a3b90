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
    /// Bytes that are not UTF-8 read as U+FFFD here; `rawPath` keeps them.
    public var path: String
    /// The path's exact bytes, only when they are not valid UTF-8 (file names are bytes).
    public var rawPath: [UInt8]? = nil
    /// Whether the mapped file was unlinked, when the path ends in " (deleted)": the kernel
    /// appends that to an unlinked file's name, and a live file may be named so too, so
    /// only the kernel's files tell them apart (`ProcessDirectory.unlinked`). nil for other
    /// paths, or when not asked.
    public var unlinked: Bool? = nil

    /// What the kernel appends to the path of a mapping whose file was unlinked.
    public static let deletedSuffix = " (deleted)"

    /// The path for a terminal: control characters and bytes that are not UTF-8 escaped.
    public var displayPath: String {
        if let rawPath { return TerminalEscaping.escape(bytes: rawPath) }
        return TerminalEscaping.escape(path)
    }

    public var size: UInt64 { end - start }
    public var isShared: Bool { perms.hasSuffix("s") }
    public var isWritable: Bool { perms.utf8.dropFirst().first == UInt8(ascii: "w") }
    public var isReadable: Bool { perms.utf8.first == UInt8(ascii: "r") }
    public func contains(_ address: UInt64) -> Bool { address >= start && address < end }
    public func overlaps(_ lo: UInt64, _ hi: UInt64) -> Bool { start < hi && lo < end }

    /// The file's own path: without the kernel's " (deleted)" when the file was unlinked
    /// (or, not known, when the path ends so), as it is for a live file named so.
    public var filePath: String {
        guard unlinked != false, path.hasSuffix(Self.deletedSuffix) else { return path }
        return String(path.dropLast(Self.deletedSuffix.count))
    }

    /// The basename of a file path ("libc.so.6"), or the whole name for [special] ones.
    public var basename: String {
        guard path.hasPrefix("/") else { return path }
        let file = filePath
        return String(file.split(separator: "/").last ?? Substring(file))
    }
}

/// Parses /proc/PID/maps.
public enum ProcMaps {
    /// Parses the whole file; a malformed line is an error naming it (the kernel never
    /// writes one, so it means the input is not a maps file).
    public static func parse(_ text: String) throws(PinctlError) -> [VMA] {
        try parse(ProcText(text))
    }

    /// The file's bytes as read, so paths that are not UTF-8 keep their bytes (VMA.rawPath).
    public static func parse(bytes: [UInt8]) throws(PinctlError) -> [VMA] {
        try parse(ProcText(bytes: bytes))
    }

    /// Each VMA of `file` as it is read, a chunk of whole lines at a time, so memory does not
    /// grow with the number of mappings.
    public static func stream(
        _ file: FileDescriptor, readError: (SyscallError) -> PinctlError = { .system($0) },
        _ body: (VMA) throws(PinctlError) -> Void
    ) throws(PinctlError) {
        try ProcFileReader.forEachChunk(of: file, readError: readError) { (t) throws(PinctlError) in
            try t.forEachLine { (r) throws(PinctlError) in try body(try line(t, r)) }
        }
    }

    static func line(_ t: ProcText, _ r: Range<Int>) throws(PinctlError) -> VMA {
        guard let vma = parseLine(t, r) else {
            throw .invalidInput("not a /proc/PID/maps line: '\(t.string(r).prefix(120))'")
        }
        return vma
    }

    static func parse(_ t: ProcText) throws(PinctlError) -> [VMA] {
        var vmas: [VMA] = []
        try t.forEachLine { (r) throws(PinctlError) in vmas.append(try line(t, r)) }
        return vmas
    }

    /// `start-end perms offset dev inode [path]`; the path keeps its inner spaces.
    public static func parseLine(_ line: Substring) -> VMA? {
        let t = ProcText(String(line))
        return parseLine(t, 0..<t.bytes.count)
    }

    static func parseLine(_ t: ProcText, _ line: Range<Int>) -> VMA? {
        var rest = line
        guard let range = t.nextField(&rest), let perms = t.nextField(&rest), let off = t.nextField(&rest),
            let dev = t.nextField(&rest), let inodeText = t.nextField(&rest),
            let dash = t.firstIndex(of: ProcText.dash, in: range),
            let start = t.number(range.lowerBound..<dash, radix: 16),
            let end = t.number((dash + 1)..<range.upperBound, radix: 16), start <= end,
            perms.count == 4, let offset = t.number(off, radix: 16),
            let inode = t.number(inodeText, radix: 10)
        else { return nil }
        let (path, raw) = decodePath(t.bytes[t.skipBlanks(rest)])
        return VMA(
            start: start, end: end, perms: t.string(perms), offset: offset, dev: t.string(dev),
            inode: inode, path: path, rawPath: raw)
    }

    /// The kernel writes a newline in a path as `\012` (seq_file_path's escape for maps; it
    /// escapes nothing else, so a name holding those four characters reads the same) and
    /// every other byte as is: turn `\012` back into the newline, and keep the bytes when
    /// they are not UTF-8.
    static func decodePath(_ bytes: ArraySlice<UInt8>) -> (String, [UInt8]?) {
        let backslash = UInt8(ascii: "\\")
        if bytes.allSatisfy({ $0 < 0x80 && $0 != backslash }) { return (String(decoding: bytes, as: UTF8.self), nil) }
        var b: [UInt8] = []
        b.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == backslash, bytes.endIndex - i >= 4, bytes[(i + 1)..<(i + 4)].elementsEqual("012".utf8) {
                b.append(ProcText.newline)
                i += 4
            } else {
                b.append(bytes[i])
                i += 1
            }
        }
        if let valid = String(validating: b, as: UTF8.self) { return (valid, nil) }
        return (String(decoding: b, as: UTF8.self), b)
    }
}

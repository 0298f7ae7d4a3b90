#if canImport(Glibc)
    import Glibc
#endif

/// vmtouch's `-i` and `-I`, with vmtouch's semantics: each pattern is an fnmatch(3) pattern
/// (flags 0) matched against the last name of a path only. `-i` (ignore) drops files and
/// directories, and the paths given on the command line too; `-I` (include) keeps only the
/// regular files that match one of its patterns, and never stops the walk from entering a
/// directory.
public struct FileNamePatterns: Sendable {
    public var ignore: [String]
    public var include: [String]

    public init(ignore: [String] = [], include: [String] = []) {
        self.ignore = ignore
        self.include = include
    }

    /// Checks each pattern once, up front: fnmatch takes C strings.
    public func validate() throws(PinctlError) {
        for p in ignore + include where p.utf8.contains(0) {
            throw .invalidInput("pattern '\(p)' has a NUL byte: give an fnmatch pattern such as '*.log'")
        }
        for p in ignore + include where p.isEmpty {
            throw .invalidInput("an empty -i or -I pattern matches nothing: give an fnmatch pattern such as '*.log'")
        }
    }

    /// `name` (NUL-terminated bytes of one path component) matches an `-i` pattern.
    func ignores(_ name: UnsafePointer<CChar>) -> Bool {
        ignore.contains { fnmatch($0, name, 0) == 0 }
    }

    /// `name` is kept by `-I` (every name is when there are no `-I` patterns).
    func includes(_ name: UnsafePointer<CChar>) -> Bool {
        include.isEmpty || include.contains { fnmatch($0, name, 0) == 0 }
    }
}

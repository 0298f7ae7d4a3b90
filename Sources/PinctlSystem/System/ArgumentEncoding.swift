import CPinctl

/// Command-line arguments are bytes; Swift's `CommandLine.arguments` decodes them as UTF-8
/// and replaces each byte that is not with U+FFFD. `pin file:/srv/a\xff` then named the file
/// `/srv/a\u{FFFD}`: another file, which another user may have planted there (pinctl locked
/// it), and `--pidfile`, `--output` or `shm:` names likewise went to other paths. pinctl
/// refuses such an argument before anything else.
public enum ArgumentEncoding {
    /// The first argument (counted from 1, after the program name) whose bytes are not
    /// UTF-8, and its bytes.
    public static func firstNotUTF8(_ arguments: [[UInt8]]) -> (index: Int, bytes: [UInt8])? {
        for (i, a) in arguments.enumerated() where String(validating: a, as: UTF8.self) == nil {
            return (i + 1, a)
        }
        return nil
    }

    /// The most arguments pinctl parses: swift-argument-parser's parsing grows with their
    /// square (in a debug build 1,000 took 0.6 s, 4,000 over 8 s). `files --from` takes any
    /// number.
    public static let maxArguments = 1024

    /// Why `count` arguments are too many, or nil.
    public static func tooMany(_ count: Int) -> String? {
        guard count > maxArguments else { return nil }
        return
            "\(count) arguments: pinctl takes at most \(maxArguments) (its parser slows with the square of their number): give files its paths with --from FILE (one a line, or -0 for NUL-separated)"
    }

    /// This process's arguments as the kernel passed them, without the program name. Taken
    /// from main's argv, not `CommandLine`, which reads /proc and has none without it.
    public static func rawArguments() -> [[UInt8]] {
        let argc = Int(cpinctl_argc())
        guard argc > 1, let argv = cpinctl_argv() else { return [] }
        return (1..<argc).map { i in
            guard let p = argv[i] else { return [] }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        }
    }

    /// The arguments as `CommandLine.arguments` decodes them (U+FFFD for bytes that are
    /// not UTF-8), without the program name, and without reading /proc.
    public static func arguments() -> [String] {
        rawArguments().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Throws `invalidInput` (exit 2) naming the first argument that is not UTF-8.
    public static func check(_ arguments: [[UInt8]] = rawArguments()) throws(PinctlError) {
        guard let (index, bytes) = firstNotUTF8(arguments) else { return }
        // The message is escaped once more where it is printed: the argument as pinctl would
        // read it (U+FFFD where a byte is not UTF-8), and those bytes by value.
        throw .invalidInput(
            "argument \(index) '\(String(decoding: bytes, as: UTF8.self))' is not UTF-8 (\(invalidBytes(bytes))): pinctl would read it as that, another name for another file or object; give a name that is UTF-8 (rename the file, or link to it under such a name)"
        )
    }

    /// "0xff at byte 6", for the first few bytes that make `bytes` invalid UTF-8.
    package static func invalidBytes(_ bytes: [UInt8]) -> String {
        var found: [String] = []
        var i = 0
        while i < bytes.count && found.count < 4 {
            // The longest valid sequence starting here (1 to 4 bytes), else this byte is bad.
            let valid = (1...4).reversed().first { n in
                i + n <= bytes.count && String(validating: bytes[i..<(i + n)], as: UTF8.self) != nil
            }
            if let n = valid {
                i += n
            } else {
                found.append("0x" + String(bytes[i], radix: 16) + " at byte \(i)")
                i += 1
            }
        }
        return found.joined(separator: ", ")
    }
}

#if canImport(Glibc)
    import Glibc
#endif

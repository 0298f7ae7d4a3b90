#if canImport(Glibc)
    import Glibc
#endif

/// Writes a line to standard error (diagnostics never go to stdout).
public func printError(_ line: String, newline: Bool = true) {
    var s = line
    if newline && !s.hasSuffix("\n") { s += "\n" }
    s.withUTF8 { buf in
        var off = 0
        while off < buf.count {
            let n = write(2, buf.baseAddress! + off, buf.count - off)
            if n > 0 { off += n } else if n < 0 && errno == EINTR { continue } else { break }
        }
    }
}

/// Flushes stdout (and every other stdio stream) so a report is visible before a hold.
public func flushOutput() {
    fflush(nil)
}

/// The `--pidfile` of a holder: written once the pin is in place, removed on release.
public struct Pidfile {
    public let path: String

    public static func write(_ path: String) throws(PinctlError) -> Pidfile {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .invalidInput("--pidfile \(path): \(SyscallError.name(of: errno)): give a writable path")
        }
        defer { close(fd) }
        let text = Array("\(getpid())\n".utf8)
        let n = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == text.count else { throw .system(lastError("write", path)) }
        return Pidfile(path: path)
    }

    public func remove() { unlink(path) }
}

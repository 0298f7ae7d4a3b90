#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a file so that a reader (node_exporter's textfile collector) sees the old
/// content or the new, never a torn one, and so that no planted name can redirect the
/// write: a new temporary file in the same directory (O_EXCL|O_NOFOLLOW, opened relative to
/// the directory's fd), written whole and fsync'ed, then renamed over the target. The
/// temporary name starts with '.' and does not end in `.prom`, so the collector ignores it.
public enum AtomicFileWriter {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(PinctlError) {
        let (dirPath, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .invalidInput("--output '\(path)': give a file name, not a directory")
        }
        let dir = try openDirectory(dirPath) { _ in
            .invalidInput("--output '\(path)': the directory \(dirPath) does not exist: create it first")
        }
        let temp = ".\(name).tmp-\(getpid())"
        var fd: Int32
        while true {
            fd = openat(dir.raw, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 { break }
            if errno == EINTR { continue }
            let e = lastError("open", "\(dirPath)/\(temp)")
            if e.errno == EEXIST {
                throw .invalidInput("--output '\(path)': \(dirPath)/\(temp) exists (another pinctl, or planted): remove it and retry")
            }
            throw .system(e)
        }
        do throws(SyscallError) {
            defer { _ = Glibc.close(fd) }
            try writeAll(fd, bytes, object: "\(dirPath)/\(temp)")
            // The mode asked for, whatever the umask made of it: the collector runs as another user.
            guard fchmod(fd, mode) == 0 else { throw lastError("fchmod", "\(dirPath)/\(temp)") }
            guard fsync(fd) == 0 else { throw lastError("fsync", "\(dirPath)/\(temp)") }
            guard renameat(dir.raw, temp, dir.raw, name) == 0 else { throw lastError("rename", "\(dirPath)/\(temp) -> \(path)") }
        } catch {
            _ = unlinkat(dir.raw, temp, 0)
            throw .system(error)
        }
        // The rename itself durable; a failure here loses nothing already visible.
        _ = fsync(dir.raw)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], object: String) throws(SyscallError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                throw lastError("write", object)
            }
        }
    }

    /// "/a/b/c.prom" -> ("/a/b", "c.prom"); "c.prom" -> (".", "c.prom"); "/c" -> ("/", "c").
    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }
}

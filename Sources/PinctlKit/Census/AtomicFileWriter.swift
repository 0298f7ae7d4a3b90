#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a file so that a reader (node_exporter's textfile collector) sees the old
/// content or the new, never a torn one, and so that no planted name can redirect the
/// write: a new temporary file in the same directory (O_EXCL|O_NOFOLLOW, opened relative to
/// the directory's fd, a random name so that no planted one blocks it), written whole and
/// fsync'ed, then renamed over the target. The temporary name starts with '.' and does not
/// end in `.prom`, so the collector ignores it. Only a regular file at the target is
/// replaced: a symlink, directory, device, FIFO or socket there is refused (a rename over
/// /dev/stdout replaced the system's link with a file; over /dev/null, the device node).
/// Termination signals wait until the temporary is renamed or removed, so none leaves it
/// behind.
public enum AtomicFileWriter {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(PinctlError) {
        let (dirPath, name) = try checkName(path)
        let dir = try PlantedSymlinks.openDirectory(
            dirPath, option: "--output", path: path,
            missing: { _ in .invalidInput("--output '\(path)': the directory \(dirPath) does not exist: create it first") },
            denied: { e in
                .permissionDenied("--output '\(path)': the directory \(dirPath) cannot be opened (\(e.errnoName)): write elsewhere")
            })
        if let st = try? dir.stat(name, flags: AT_SYMLINK_NOFOLLOW) {
            let type = st.st_mode & S_IFMT
            guard type == S_IFREG else {
                throw .invalidInput(
                    "--output '\(path)' is \(RegularFile.typeName(type)): give the path of a regular file (the output replaces it by a rename), or leave --output out to write to stdout"
                )
            }
        }
        let previous = TerminationSignals.blockSaving()
        defer { TerminationSignals.restore(previous) }
        let (file, temp) = try createTemporary(dir: dir, dirPath: dirPath, name: name, path: path, mode: mode)
        do throws(SyscallError) {
            defer { file.close() }
            let fd = file.raw
            try file.writeAll(bytes)
            // The mode asked for, whatever the umask made of it: the collector runs as another user.
            guard fchmod(fd, mode) == 0 else { throw lastError("fchmod", "\(dirPath)/\(temp)") }
            guard fsync(fd) == 0 else { throw lastError("fsync", "\(dirPath)/\(temp)") }
            guard renameat(dir.raw, temp, dir.raw, name) == 0 else { throw lastError("rename", "\(dirPath)/\(temp) -> \(path)") }
        } catch {
            _ = unlinkat(dir.raw, temp, 0)
            // A write past RLIMIT_FSIZE also raised SIGXFSZ (blocked here): the same failure,
            // said by this one line instead of a death by the signal once the mask is back.
            if error.errno == EFBIG { TerminationSignals.discard(SIGXFSZ) }
            throw .system(withAdvice(error, dirPath: dirPath))
        }
        // The rename itself durable; a failure here loses nothing already visible.
        _ = fsync(dir.raw)
    }

    /// A new file `.NAME.tmp-PID-RANDOM` in the directory (a long NAME shortened so the
    /// temporary stays within NAME_MAX), retried under another random name if one exists.
    static func createTemporary(dir: FileDescriptor, dirPath: String, name: String, path: String, mode: mode_t) throws(PinctlError) -> (
        FileDescriptor, String
    ) {
        let base = name.utf8.count > 200 ? "pinctl" : name
        var attempts = 0
        while true {
            let temp = ".\(base).tmp-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            let e: SyscallError
            do throws(SyscallError) {
                let fd = try dir.open(temp, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode, display: "\(dirPath)/\(temp)")
                return (fd, temp)
            } catch {
                e = error
            }
            switch e.errno {
            case EEXIST:
                attempts += 1
                if attempts < 100 { continue }
                throw .system(e)
            case EACCES, EPERM, EROFS:
                throw .permissionDenied(
                    "--output '\(path)': cannot create a file in \(dirPath) (\(e.errnoName)): write to a directory you can write")
            default: throw .system(withAdvice(e, dirPath: dirPath))
            }
        }
    }

    /// A full file system (blocks or inodes) or quota names where to make room, or where
    /// else to write; the temporary is gone by then and FILE untouched.
    static func withAdvice(_ e: SyscallError, dirPath: String) -> SyscallError {
        var e = e
        switch e.errno {
        case ENOSPC:
            e.advice =
                "the file system of \(dirPath) is full (space or inodes: df \(dirPath), df -i): free space there or give another --output"
        case EDQUOT:
            e.advice = "your disk quota on \(dirPath) is used up: free space there or give another --output"
        case EFBIG:
            let limit = ProcessLimits.softLimitText(__rlimit_resource_t(RLIMIT_FSIZE.rawValue))
            e.advice =
                "the output is larger than this process may write (RLIMIT_FSIZE \(limit) bytes): raise `ulimit -f` (LimitFSIZE= in a unit)"
        default: break
        }
        return e
    }

    /// The directory and file name of `path`, or why no file can have that name (a name
    /// longer than NAME_MAX would fail only at the rename): checked before the work whose
    /// output it is, as well as when writing.
    @discardableResult
    public static func checkName(_ path: String) throws(PinctlError) -> (String, String) {
        let (dirPath, name) = split(path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .invalidInput("--output '\(path)': give a file name, not a directory")
        }
        guard name.utf8.count <= 255 else {
            throw .invalidInput(
                "--output: the file name is \(name.utf8.count) bytes, longer than the 255 a file name may have: give a shorter one")
        }
        return (dirPath, name)
    }

    /// "/a/b/c.prom" -> ("/a/b", "c.prom"); "c.prom" -> (".", "c.prom"); "/c" -> ("/", "c").
    static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }
}

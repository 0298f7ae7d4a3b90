import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `--pidfile`: the holder's pid, written once the pin is in place and removed on release.
/// The path may be in a directory other users can write to, so the file is never opened
/// through a link or over an existing file: `prepare` checks the directory and the name
/// before anything is pinned; `write` creates the file whole (an O_TMPFILE linked in, or
/// O_CREAT|O_EXCL|O_NOFOLLOW) and fails if the name appeared meanwhile; `remove` unlinks
/// the name only while it still names the file pinctl wrote.
public final class Pidfile {
    public let path: String
    private let dir: FileDescriptor
    private let name: String
    private var written: (device: UInt64, inode: UInt64)?
    /// Kept open for the hold: an inode number cannot be reused while it is open, so the
    /// device and inode comparison in `remove` cannot mistake a new file for ours.
    private var file: FileDescriptor?
    /// The O_TMPFILE made by `prepare`, holding the pid, not yet linked in.
    private var nameless: FileDescriptor?

    private init(path: String, dir: FileDescriptor, name: String) {
        self.path = path
        self.dir = dir
        self.name = name
    }

    var pidText: [UInt8] { Array("\(getpid())\n".utf8) }

    /// Opens the pidfile's directory and checks that the name is free; writes nothing.
    public static func prepare(_ path: String) throws(PinctlError) -> Pidfile {
        guard !path.isEmpty else { throw .invalidInput("--pidfile is empty: give a path") }
        let (dirPath, name): (String, String)
        if let slash = path.lastIndex(of: "/") {
            dirPath = slash == path.startIndex ? "/" : String(path[..<slash])
            name = String(path[path.index(after: slash)...])
        } else {
            (dirPath, name) = (".", path)
        }
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .invalidInput("--pidfile \(path): names a directory: give a file path such as /run/pinctl.pid")
        }
        let notADirectory = { (e: SyscallError) -> PinctlError in
            // Out of descriptors is pinctl's own limit, told with its fix, not the path's fault.
            if e.errno == EMFILE || e.errno == ENFILE { return .system(e) }
            return .invalidInput(
                "--pidfile \(path): \(dirPath) is not a directory we can open (\(e.errnoName)): give a path in an existing directory")
        }
        let dir = try PlantedSymlinks.openDirectory(
            dirPath, option: "--pidfile", path: path, missing: notADirectory,
            denied: { e in
                .permissionDenied("--pidfile \(path): \(e.errnoName) opening \(dirPath): give a path in a directory you can write")
            }, other: notADirectory)
        guard faccessat(dir.raw, ".", W_OK, AT_EACCESS) == 0 else {
            throw .permissionDenied(
                "--pidfile \(path): \(dirPath) is not writable by this user (\(SyscallError.name(of: errno))): give a path in a directory you can write"
            )
        }
        try checkFree(dir: dir, name: name, path: path)
        let pidfile = Pidfile(path: path, dir: dir, name: name)
        try pidfile.makeNameless()
        return pidfile
    }

    /// The O_TMPFILE with the pid in it; where the file system has none, a probe that the
    /// directory takes a new file (created and removed at once).
    private func makeNameless() throws(PinctlError) {
        var e: Int32 = 0
        var opened: FileDescriptor?
        do throws(SyscallError) {
            opened = try dir.open(".", flags: CPINCTL_O_TMPFILE | O_WRONLY, mode: 0o644, display: path)
        } catch {
            e = error.errno
        }
        if let fd = opened {
            try writeAll(fd, pidText)
            nameless = fd
            return
        }
        guard e == EOPNOTSUPP || e == EISDIR || e == EINVAL else { throw createFailure(e) }
        let probe = ".\(name).pinctl-probe-\(getpid())"
        do throws(SyscallError) {
            try dir.open(probe, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600).close()
        } catch {
            throw createFailure(error.errno)
        }
        _ = unlinkat(dir.raw, probe, 0)
    }

    static func checkFree(dir: FileDescriptor, name: String, path: String) throws(PinctlError) {
        let st: stat
        do throws(SyscallError) {
            st = try dir.stat(name, flags: AT_SYMLINK_NOFOLLOW)
        } catch {
            if error.errno == ENOENT { return }
            throw .invalidInput("--pidfile \(path): \(error.errnoName) checking it: give another path")
        }
        throw .invalidInput(
            "--pidfile \(path) already exists (\(RegularFile.typeName(st.st_mode))): pinctl never writes over or through an existing file: remove it if it is stale, or give another path"
        )
    }

    /// Gives the pidfile its name; fails, writing nothing, if the name exists by now.
    public func write() throws(PinctlError) {
        if let fd = nameless {
            nameless = nil
            if linkat(AT_FDCWD, "/proc/self/fd/\(fd.raw)", dir.raw, name, AT_SYMLINK_FOLLOW) != 0 {
                throw createFailure(errno)
            }
            try remember(fd)
            return
        }
        // File systems without O_TMPFILE: create the name exclusively, never through a link.
        let owned: FileDescriptor
        do throws(SyscallError) {
            owned = try dir.open(name, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644, display: path)
        } catch {
            throw createFailure(error.errno)
        }
        try remember(owned)
        do throws(PinctlError) {
            try writeAll(owned, pidText)
        } catch {
            remove()
            throw error
        }
    }

    private func createFailure(_ e: Int32) -> PinctlError {
        let errName = SyscallError.name(of: e)
        switch e {
        case EEXIST:
            return .invalidInput("--pidfile \(path) appeared while pinning: pinctl never writes over an existing file: give another path")
        case EACCES, EPERM:
            return .permissionDenied("--pidfile \(path): \(errName) creating it: give a path in a directory you can write")
        case EMFILE, ENFILE:
            return .system(SyscallError(call: "open", object: path, errno: e))
        default:
            return .invalidInput("--pidfile \(path): \(dir.path) takes no new file (\(errName)): give a path on a writable file system")
        }
    }

    private func writeAll(_ fd: FileDescriptor, _ bytes: [UInt8]) throws(PinctlError) {
        do throws(SyscallError) {
            try fd.writeAll(bytes)
        } catch {
            if error.errno == EFBIG {
                // RLIMIT_FSIZE below a pid's few bytes; its SIGXFSZ (blocked) says the same.
                TerminationSignals.discard(SIGXFSZ)
                let limit = ProcessLimits.softLimitText(__rlimit_resource_t(RLIMIT_FSIZE.rawValue))
                throw .invalidInput(
                    "--pidfile \(path): this process may write files of at most \(limit) bytes (RLIMIT_FSIZE): raise `ulimit -f` (LimitFSIZE= in a unit), or drop --pidfile"
                )
            }
            throw .system(error)
        }
    }

    private func remember(_ fd: FileDescriptor) throws(PinctlError) {
        let st: stat
        do throws(SyscallError) { st = try fd.stat() } catch { throw .system(error) }
        written = (UInt64(st.st_dev), UInt64(st.st_ino))
        file = fd
    }

    /// Unlinks the pidfile if the name still names the file pinctl wrote; safe to call twice.
    public func remove() {
        guard let w = written else { return }
        written = nil
        defer { file = nil }
        guard let st = try? dir.stat(name, flags: AT_SYMLINK_NOFOLLOW), UInt64(st.st_dev) == w.device, UInt64(st.st_ino) == w.inode
        else {
            return
        }
        _ = unlinkat(dir.raw, name, 0)
    }
}

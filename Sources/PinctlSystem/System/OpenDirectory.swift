#if canImport(Glibc)
    import Glibc
#endif

/// open(2) of a directory, read-only and close-on-exec, EINTR retried: the one way pinctl
/// opens the directories it then opens names in (openat), locks (flock) or lists (readdir).
/// O_DIRECTORY fails with ENOTDIR on anything else before it is opened, so a FIFO or device
/// planted under the name never blocks the open nor sees it; `noFollow` refuses a symbolic
/// link as the last name (ELOOP), for /proc/PID, whose link would name another process.
package func openDirectory(_ path: String, at dir: Int32 = AT_FDCWD, noFollow: Bool = false) throws(SyscallError) -> FileDescriptor {
    FileDescriptor(raw: try openDirectoryDescriptor(path, at: dir, noFollow: noFollow), path: path)
}

/// `openDirectory` of a directory the user named, failures told in the caller's words, each
/// naming the input and the fix: `missing` when there is none by that name (ENOENT, or
/// ENOTDIR: it or a directory on its path is something else), `denied` when the caller may
/// not open it (EACCES, EPERM); without `denied`, and for anything else, the failure as it
/// is (`.system`).
package func openDirectory(
    _ path: String, missing: (SyscallError) -> PinctlError, denied: ((SyscallError) -> PinctlError)? = nil
) throws(PinctlError) -> FileDescriptor {
    do {
        return try openDirectory(path)
    } catch {
        switch error.errno {
        case ENOENT, ENOTDIR: throw missing(error)
        case EACCES, EPERM: throw denied?(error) ?? .system(error)
        default: throw .system(error)
        }
    }
}

/// The raw descriptor, for fdopendir, which takes it over (`DirectoryStream`).
private func openDirectoryDescriptor(_ path: String, at dir: Int32, noFollow: Bool) throws(SyscallError) -> Int32 {
    let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0)
    return try systemCall("open", path) { openat(dir, path, flags) }
}

/// A directory opened as `openDirectory` opens it and read entry by entry (readdir); the
/// descriptor is the stream's and is closed with it.
package final class DirectoryStream {
    let path: String
    private let stream: OpaquePointer

    package init(_ path: String, at dir: Int32 = AT_FDCWD, noFollow: Bool = false) throws(SyscallError) {
        let fd = try openDirectoryDescriptor(path, at: dir, noFollow: noFollow)
        guard let stream = fdopendir(fd) else {
            let e = lastError("fdopendir", path)
            _ = Glibc.close(fd)
            throw e
        }
        self.path = path
        self.stream = stream
    }

    deinit { closedir(stream) }

    /// The directory's descriptor, for openat and fstatat of its entries (the stream's own:
    /// valid while the stream lives, never closed by the caller).
    package var fd: Int32 { dirfd(stream) }

    /// The next entry; nil at the end, or after a failed read with `errno` set (a /proc
    /// directory of a process that exited meanwhile ends with ENOENT or ESRCH).
    package func next() -> UnsafeMutablePointer<dirent>? {
        errno = 0
        return readdir(stream)
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Opens a file the user named for its bytes (`file:PATH`, `--fill-from`) without ever
/// opening anything else: the path is resolved with CPINCTL_O_PATH (which opens nothing: no FIFO
/// wait, no device open side effect), its type checked with fstat, and only a regular
/// file is then opened, through /proc/self/fd, which names that same inode. Symlinks in
/// the path are followed: it is the caller's own explicit path, and the object at its end
/// is checked, not the name.
public enum RegularFile {
    /// The open file and its fstat.
    public struct Opened {
        public let fd: FileDescriptor
        public let stat: stat
    }

    /// `purpose` finishes "... a regular file's bytes" in messages ("file: pins", "--fill-from copies").
    public static func open(_ path: String, writable: Bool, purpose: String) throws(PinctlError) -> Opened {
        let pathFD = try openPath(path, flags: CPINCTL_O_PATH | O_CLOEXEC, purpose: purpose)
        let st: stat
        do throws(SyscallError) { st = try pathFD.stat() } catch { throw .system(error) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw .invalidInput("\(path) is \(typeName(st.st_mode)), not a regular file: \(purpose) a regular file's bytes")
        }
        if let fs = PseudoFileSystem.holding(fd: pathFD.raw) {
            throw .invalidInput("\(path) is \(PseudoFileSystem.reason(fs)): \(purpose) a regular file's bytes")
        }
        let fd = try reopen(pathFD, path: path, writable: writable, purpose: purpose)
        return Opened(fd: fd, stat: st)
    }

    /// open(2) of `path` with `flags` (CPINCTL_O_PATH here and in ShmObject), errors told as input problems.
    package static func openPath(_ path: String, flags: Int32, dir: Int32 = AT_FDCWD, purpose: String) throws(PinctlError) -> FileDescriptor
    {
        do throws(SyscallError) {
            return try FileDescriptor.open(path, at: dir, flags: flags)
        } catch let e {
            switch e.errno {
            case ENOENT: throw .invalidInput("\(path): no such file: \(purpose) an existing regular file")
            case ENOTDIR: throw .invalidInput("\(path): a component of the path is not a directory: give the path of a regular file")
            case ENAMETOOLONG: throw .invalidInput("\(path): the path or one of its names is too long (ENAMETOOLONG): give a shorter path")
            case ELOOP: throw .invalidInput("\(path): too many levels of symbolic links (ELOOP): give the file's real path")
            case EACCES, EPERM:
                throw .permissionDenied(
                    "\(path): \(e.errnoName) resolving the path: fix the directories' permissions or run as their owner")
            default: throw .system(e)
            }
        }
    }

    /// Opens the inode an CPINCTL_O_PATH descriptor names, read-only or read-write, never blocking.
    package static func reopen(_ pathFD: FileDescriptor, path: String, writable: Bool, purpose: String) throws(PinctlError)
        -> FileDescriptor
    {
        let flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY
        do throws(SyscallError) {
            return try FileDescriptor.open("/proc/self/fd/\(pathFD.raw)", flags: flags, display: path)
        } catch let e {
            switch e.errno {
            case EACCES, EPERM:
                throw .permissionDenied(
                    "\(path): \(e.errnoName) opening it\(writable ? " for writing (--write): pin it read-only (drop --write) or fix its permissions" : ": fix its permissions or run as its owner")"
                )
            case EROFS: throw .invalidInput("\(path): on a read-only file system (EROFS): drop --write to pin it read-only")
            case ETXTBSY: throw .invalidInput("\(path): a running program's text (ETXTBSY): drop --write to pin it read-only")
            default: throw .system(e)
            }
        }
    }

    /// "a FIFO", "a directory": what a non-regular file is, for messages.
    package static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        case S_IFREG: return "a regular file"
        default: return "a special file"
        }
    }
}

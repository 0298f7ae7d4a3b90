import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// The kernel's fs.protected_symlinks rule, applied to the directory a file is created in
/// whether or not the sysctl is on (it is off on some machines, this project's host among
/// them): a symlink on the way that sits in a sticky world-writable directory (/tmp,
/// /dev/shm) and belongs to neither the caller nor that directory's owner is refused, so
/// another user's `/tmp/metrics -> /etc` cannot send root's `--output` or `--pidfile`
/// elsewhere. Checked on the path as written, component by component.
public enum PlantedSymlinks {
    public static func refuse(in dirPath: String, option: String, path: String) throws(PinctlError) {
        var prefix = dirPath.hasPrefix("/") ? "" : "."
        let me = geteuid()
        for component in dirPath.split(separator: "/", omittingEmptySubsequences: true) {
            let parent = prefix.isEmpty ? "/" : prefix
            prefix += "/" + component
            var link = stat()
            guard lstat(prefix, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, link.st_uid != me else { continue }
            var dir = stat()
            guard stat(parent, &dir) == 0 else { continue }
            let stickyWorldWritable = dir.st_mode & S_ISVTX != 0 && dir.st_mode & S_IWOTH != 0
            if stickyWorldWritable && link.st_uid != dir.st_uid {
                throw .permissionDenied(
                    "\(option) '\(path)': \(prefix) is a symbolic link of uid \(link.st_uid) in the shared directory \(parent): it could send the file anywhere; give a path without it"
                )
            }
        }
    }

    /// Opens `dirPath` for creating a file in it, walking it a component at a time from the
    /// previous directory's descriptor (O_PATH|O_NOFOLLOW), so that what is checked is what
    /// is walked: `refuse` on the path and a later open by path can be raced (another user
    /// swaps a component of theirs for a link and back: 9 of 35 censuses wrote into a
    /// root-only directory). A link met on the way is refused when planted, else read
    /// (readlinkat on its own descriptor) and its target walked the same way. `missing`,
    /// `denied` and `other` word ENOENT/ENOTDIR, EACCES/EPERM and the rest.
    public static func openDirectory(
        _ dirPath: String, option: String, path: String, missing: (SyscallError) -> PinctlError,
        denied: (SyscallError) -> PinctlError, other: (SyscallError) -> PinctlError = { .system($0) }
    ) throws(PinctlError) -> FileDescriptor {
        let me = geteuid()
        func fail(_ e: SyscallError) -> PinctlError {
            switch e.errno {
            case ENOENT, ENOTDIR: return missing(e)
            case EACCES, EPERM: return denied(e)
            default: return other(e)
            }
        }
        func components(_ p: String) -> [String] { p.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }
        do throws(any Error) {
            var current = try FileDescriptor.open(dirPath.hasPrefix("/") ? "/" : ".", flags: CPINCTL_O_PATH | O_DIRECTORY)
            var walked = dirPath.hasPrefix("/") ? "" : "."
            var rest = components(dirPath)[...]
            var links = 0
            while let name = rest.popFirst() {
                if name == "." { continue }
                let next = try FileDescriptor.open(name, at: current.raw, flags: CPINCTL_O_PATH | O_NOFOLLOW, display: walked + "/" + name)
                let st = try next.stat()
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    current = next
                    walked += "/" + name
                case S_IFLNK:
                    let parent = try current.stat()
                    let stickyWorldWritable = parent.st_mode & S_ISVTX != 0 && parent.st_mode & S_IWOTH != 0
                    if st.st_uid != me && stickyWorldWritable && st.st_uid != parent.st_uid {
                        throw PinctlError.permissionDenied(
                            "\(option) '\(path)': \(walked)/\(name) is a symbolic link of uid \(st.st_uid) in the shared directory \(walked.isEmpty ? "/" : walked): it could send the file anywhere; give a path without it"
                        )
                    }
                    links += 1
                    guard links <= 40 else { throw SyscallError(call: "open", object: dirPath, errno: ELOOP) }
                    var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = try systemCall("readlink", walked + "/" + name) { readlinkat(next.raw, "", &target, target.count - 1) }
                    let text = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if text.hasPrefix("/") {
                        current = try FileDescriptor.open("/", flags: CPINCTL_O_PATH | O_DIRECTORY)
                        walked = ""
                    }
                    rest = (components(text) + rest)[...]
                default:
                    throw SyscallError(call: "open", object: walked + "/" + name, errno: ENOTDIR)
                }
            }
            // The walked directory, opened for reading and as the base of openat.
            return try FileDescriptor.open(".", at: current.raw, flags: O_RDONLY | O_DIRECTORY, display: dirPath)
        } catch let e as SyscallError {
            throw fail(e)
        } catch let e as PinctlError {
            throw e
        } catch {
            throw .invalidInput("\(option) '\(path)': \(error)")
        }
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX shared-memory object /dev/shm/NAME for `shm:NAME:SIZE`. /dev/shm is writable
/// by every user, so nothing there is trusted: pinctl creates the object with
/// O_CREAT|O_EXCL|O_NOFOLLOW (never through a planted link), and uses an existing one only
/// when it is a regular file owned by the caller, checked by fstat on an CPINCTL_O_PATH|O_NOFOLLOW
/// descriptor before it is opened. What pinctl created it removes, and only if the name
/// still names the object it created; an existing object it grew to the range's size it
/// truncates back on release (the pages past the old end are tmpfs memory nobody asked to
/// keep), unless someone resized it during the hold.
final class ShmObject {
    static let directory = "/dev/shm"

    let fd: FileDescriptor
    let path: String
    /// pinctl created the object (and removes it).
    let created: Bool
    private let dir: FileDescriptor
    private let name: String
    private let device: UInt64
    private let inode: UInt64
    private var removed = false
    /// The sizes before and after `grow`, when it grew an existing object.
    private var growth: (from: UInt64, to: UInt64)?

    private init(fd: FileDescriptor, dir: FileDescriptor, name: String, created: Bool, stat st: stat) {
        self.fd = fd
        self.dir = dir
        self.name = name
        self.path = "\(Self.directory)/\(name)"
        self.created = created
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// Creates /dev/shm/NAME, or opens the caller's own existing object of that name.
    static func open(name: String, spec: String) throws(PinctlError) -> ShmObject {
        let path = "\(directory)/\(name)"
        let dir = try openDirectory(directory) { e in
            .invalidInput("\(spec): there is no \(directory) here (\(e.errnoName)): mount a tmpfs there, or use a memfd: range")
        }
        let fd: FileDescriptor
        do throws(SyscallError) {
            fd = try dir.open(name, flags: O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, mode: 0o600, display: path)
        } catch let e {
            switch e.errno {
            case EEXIST: return try openExisting(dir: dir, name: name, spec: spec)
            case ENAMETOOLONG: throw .invalidInput("\(spec): the shm name is too long for /dev/shm (ENAMETOOLONG): give a shorter name")
            case EACCES, EPERM:
                throw .permissionDenied("\(spec): \(e.errnoName) creating \(path): run as a user who may create files in /dev/shm")
            case ENOSPC:
                throw .refused("\(spec): /dev/shm is full (ENOSPC): free space there or raise its size (mount -o remount,size=...)")
            default: throw .system(e)
            }
        }
        do throws(SyscallError) {
            return ShmObject(fd: fd, dir: dir, name: name, created: true, stat: try fd.stat())
        } catch {
            _ = unlinkat(dir.raw, name, 0)
            throw .system(error)
        }
    }

    /// An object that was there already: never a link, only a regular file the caller owns.
    private static func openExisting(dir: FileDescriptor, name: String, spec: String) throws(PinctlError) -> ShmObject {
        let path = "\(directory)/\(name)"
        let pathFD = try RegularFile.openPath(name, flags: CPINCTL_O_PATH | O_NOFOLLOW | O_CLOEXEC, dir: dir.raw, purpose: "shm: maps")
        let st: stat
        do throws(SyscallError) { st = try pathFD.stat() } catch {
            throw .system(SyscallError(call: "fstat", object: path, errno: error.errno))
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK {
            throw .invalidInput(
                "\(spec): \(path) is a symbolic link: pinctl never follows links in /dev/shm (another user may have planted it): remove it or choose another name"
            )
        }
        guard type == S_IFREG else {
            throw .invalidInput("\(spec): \(path) is \(RegularFile.typeName(st.st_mode)), not a shm object: choose another name")
        }
        guard st.st_uid == geteuid() else {
            throw .permissionDenied(
                "\(spec): \(path) exists and belongs to uid \(st.st_uid), not to you (uid \(geteuid())): pinctl only maps an existing shm object its caller owns: choose another name or run as its owner"
            )
        }
        let fd = try RegularFile.reopen(pathFD, path: path, writable: true, purpose: "shm: maps")
        return ShmObject(fd: fd, dir: dir, name: name, created: false, stat: st)
    }

    /// What `open` would refuse about an object already at /dev/shm/NAME, for --dry-run
    /// (read with lstat: nothing is opened); nil when the name is free or usable.
    static func existingProblem(name: String) -> String? {
        let path = "\(directory)/\(name)"
        guard let st = try? FileDescriptor.stat(path, flags: AT_SYMLINK_NOFOLLOW) else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFLNK: return "\(path) is a symbolic link: pinctl never follows links in /dev/shm: remove it or choose another name"
        case S_IFREG:
            guard st.st_uid == geteuid() else {
                return "\(path) belongs to uid \(st.st_uid), not to you (uid \(geteuid())): choose another name or run as its owner"
            }
            return nil
        default: return "\(path) is \(RegularFile.typeName(st.st_mode)), not a shm object: choose another name"
        }
    }

    /// Makes the object at least `size` bytes long (tmpfs gives the new pages on first touch).
    func grow(to size: UInt64, _ spec: PinRangeSpec) throws {
        let st = try fd.stat()
        let current = UInt64(max(st.st_size, 0))
        guard current < size else { return }
        try MappedRange.truncate(fd.raw, to: size, spec)
        if !created { growth = (current, size) }
    }

    /// Truncates an existing object `grow` lengthened back to the size it had, if it still
    /// has the size pinctl gave it (a size someone else set during the hold is theirs);
    /// the range must be unmapped first. Safe to call twice.
    func restoreSize() {
        guard let (from, to) = growth else { return }
        growth = nil
        guard let st = try? fd.stat(), UInt64(max(st.st_size, 0)) == to, let length = off_t(exactly: from) else { return }
        _ = try? systemCall("ftruncate", path) { ftruncate(fd.raw, length) }
    }

    /// Unlinks the object if pinctl created it and the name still names it; safe to call twice.
    func removeIfCreated() {
        guard created, !removed else { return }
        removed = true
        guard let st = try? dir.stat(name, flags: AT_SYMLINK_NOFOLLOW), UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else {
            return
        }
        _ = unlinkat(dir.raw, name, 0)
    }
}

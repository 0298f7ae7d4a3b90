import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX shared-memory object /dev/shm/NAME for `shm:NAME:SIZE`. /dev/shm is writable
/// by every user, so nothing there is trusted: pinctl creates the object with
/// O_CREAT|O_EXCL|O_NOFOLLOW (never through a planted link), and uses an existing one only
/// when it is a regular file owned by the caller, checked by fstat on an CPINCTL_O_PATH|O_NOFOLLOW
/// descriptor before it is opened. Several pins may share one object: each holds a shared
/// flock on it while it runs, and only the last to let go (its exclusive flock is granted)
/// changes it: it removes an object a pinctl created (marked so with an extended attribute,
/// since its creator may have left first), if the name still names it, or truncates an
/// existing object pins grew back to the size it had (the pages past the old end are tmpfs
/// memory nobody asked to keep), unless someone resized it during the hold. A pin that is
/// not the last leaves the object as it is for the others, and says so.
final class ShmObject {
    static let directory = "/dev/shm"
    /// Marks an object a pinctl created, so that whichever pin sharing it is the last to
    /// release it removes it. A caller's own object has no mark and is never removed.
    static let createdMark = "user.pinctl.created"
    /// On the caller's own object: "FROM TO", the size it had before pins grew it and the
    /// size they gave it, so that the last pin shrinks it back whichever pin grew it.
    static let grownMark = "user.pinctl.grown"
    /// How long a pin waits for another pin's exclusive flock (held while it releases the
    /// object, a moment) before it gives up.
    static let maxLockWait = 10.0

    let fd: FileDescriptor
    let path: String
    /// pinctl created the object (and removes it).
    let created: Bool
    private let dir: FileDescriptor
    private let name: String
    private let device: UInt64
    private let inode: UInt64
    private var released = false
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

    /// Creates /dev/shm/NAME, or opens the caller's own existing object of that name, and
    /// takes a shared flock on it for as long as the pin runs. An object another pin removed
    /// between the open and the lock is opened again (made anew).
    static func open(name: String, spec: String) throws(PinctlError) -> ShmObject {
        let dir = try openDirectory(directory) { e in
            .invalidInput("\(spec): there is no \(directory) here (\(e.errnoName)): mount a tmpfs there, or use a memfd: range")
        }
        for _ in 0..<3 {
            let object = try openOnce(dir: dir, name: name, spec: spec)
            if try object.lockShared(spec) { return object }
        }
        throw .refused(
            "\(spec): \(directory)/\(name) was removed three times while pinctl opened it (other pins releasing it): pin again")
    }

    private static func openOnce(dir: FileDescriptor, name: String, spec: String) throws(PinctlError) -> ShmObject {
        let path = "\(directory)/\(name)"
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
            let object = ShmObject(fd: fd, dir: dir, name: name, created: true, stat: try fd.stat())
            // Without the mark (a tmpfs without user xattrs: before 6.6), only this pin
            // removes the object, and a pin that outlives it leaves it (and says so).
            try? fd.setAttribute(createdMark, "1")
            return object
        } catch {
            _ = unlinkat(dir.raw, name, 0)
            throw .system(error)
        }
    }

    /// Takes the shared flock, waiting (at most `maxLockWait`) while another pin holds it
    /// exclusively to release the object; false when the name no longer names the object
    /// once the lock is held (that pin removed it).
    private func lockShared(_ spec: String) throws(PinctlError) -> Bool {
        let deadline = SuspendingClock.now.advanced(by: .seconds(Self.maxLockWait))
        while true {
            do throws(SyscallError) {
                if try fd.tryLock(LOCK_SH) { break }
            } catch {
                throw .system(error)
            }
            if let sig = TerminationSignals.pendingSignal() {
                throw .interrupted("\(spec): \(TerminationSignals.name(sig)) while waiting for the flock on \(path): nothing was pinned")
            }
            if SuspendingClock.now > deadline {
                throw .refused(
                    "\(spec): another process has held an exclusive flock on \(path) for \(Int(Self.maxLockWait)) s (`fuser -v \(path)` shows who): end it, or choose another name"
                )
            }
            usleep(10_000)
        }
        guard let st = try? dir.stat(name, flags: AT_SYMLINK_NOFOLLOW) else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
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
        let fd: FileDescriptor
        do throws(PinctlError) { fd = try RegularFile.reopen(pathFD, path: path, writable: true, purpose: "shm: maps") } catch {
            if case .system(let e) = error, e.errno == EAGAIN { throw .refused("\(spec): \(path): \(FileLease.reason(st, writing: true))") }
            throw error
        }
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
        guard !created else { return }
        // Another pin may have grown it already: the size to go back to is the caller's.
        let from = recordedGrowth()?.from ?? current
        growth = (from, size)
        try? fd.setAttribute(Self.grownMark, "\(from) \(size)")
    }

    /// The growth `grownMark` records, when it reads as two sizes, the first the smaller.
    private func recordedGrowth() -> (from: UInt64, to: UInt64)? {
        guard let text = fd.attribute(Self.grownMark) else { return nil }
        let f = text.split(separator: " ")
        guard f.count == 2, let from = UInt64(f[0]), let to = UInt64(f[1]), from < to else { return nil }
        return (from, to)
    }

    /// Lets go of the object once the range is unmapped: the last pin sharing it removes or
    /// shrinks it back (see the type's comment); a pin that is not the last leaves it as it
    /// is and says so in one line. Safe to call twice.
    func release() {
        guard !released else { return }
        released = true
        let ownedByAPin = created || fd.hasAttribute(Self.createdMark)
        let grown = recordedGrowth() ?? growth
        guard ownedByAPin || grown != nil else { return }
        // A failed LOCK_EX|LOCK_NB also drops this pin's shared lock, so of two pins
        // releasing at once the second is granted it: one of them always cleans up.
        guard (try? fd.tryLock(LOCK_EX)) == true else {
            let left: String
            if ownedByAPin {
                left =
                    fd.hasAttribute(Self.createdMark)
                    ? "left in place: the last pin using it removes it"
                    : "left in place: remove it (rm \(path)) once that pin ends"
            } else if fd.hasAttribute(Self.grownMark) {
                left = "left at the size pins gave it: the last pin using it shrinks it back"
            } else {
                left = "left at the size pins gave it: truncate it back to \(grown?.from ?? 0) bytes once that pin ends"
            }
            printError("pinctl: note: \(TerminalEscaping.escape(path)) is still used by another pin (a shared flock on it): \(left)")
            return
        }
        if ownedByAPin {
            removeIfUnchanged()
        } else if let grown {
            restoreSize(grown)
        }
    }

    /// Truncates an existing object pins grew back to the size it had, if it still has the
    /// size they gave it (a size someone else set during the hold is theirs); every range
    /// must be unmapped first.
    private func restoreSize(_ grown: (from: UInt64, to: UInt64)) {
        fd.removeAttribute(Self.grownMark)
        guard let st = try? fd.stat(), UInt64(max(st.st_size, 0)) == grown.to, let length = off_t(exactly: grown.from) else { return }
        _ = try? systemCall("ftruncate", path) { ftruncate(fd.raw, length) }
    }

    /// Unlinks the object if the name still names it.
    private func removeIfUnchanged() {
        guard let st = try? dir.stat(name, flags: AT_SYMLINK_NOFOLLOW), UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else {
            return
        }
        _ = unlinkat(dir.raw, name, 0)
    }
}

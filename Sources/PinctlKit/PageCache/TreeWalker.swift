import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// What the walk met, one event per path, in directory order.
public enum TreeWalkEvent {
    /// A regular file, open read-only (O_NONBLOCK, never through a symlink unless `-f`), with
    /// its fstat. The descriptor is valid only during the callback.
    case file(fd: Int32, stat: stat, path: [UInt8])
    /// A directory about to be read.
    case directory(path: [UInt8])
    /// Left out by a rule (a link not followed, a FIFO or device, a size limit, another file
    /// system): not an error.
    case skipped(path: [UInt8], reason: TreeWalkSkip)
    /// Could not be examined (permissions, vanished or swapped during the walk): the report
    /// is incomplete.
    case failed(path: [UInt8], message: String)
}

public enum TreeWalkSkip: Equatable, Sendable {
    case symlink
    /// "a FIFO", "a socket", "a character device", "a block device".
    case special(String)
    case tooLarge(size: UInt64, limit: UInt64)
    case otherFileSystem
    /// With `-f`: a directory reached again through a link (a loop, or a second way in).
    case directoryAgain
    /// On procfs, sysfs, tracefs and the like (`PseudoFileSystem`): never opened.
    case pseudoFileSystem(String)
    /// A mount point met in a walk, of a file system that answers through a daemon or a
    /// server (FUSE, NFS, SMB, ...): not entered, since one that stopped answering would
    /// block the walk for good.
    case mayStopAnswering(String)

    public var message: String {
        switch self {
        case .symlink: return "a symbolic link, not followed (-f follows links)"
        case .special(let what): return "\(what), not opened (only regular files have page cache to count)"
        case .tooLarge(let size, let limit): return "\(size) bytes, larger than -m \(limit) bytes: skipped"
        case .otherFileSystem: return "on another file system than its argument, not entered (--one-file-system)"
        case .directoryAgain: return "a directory already walked (a symbolic link loop or a second link to it): walked once"
        case .pseudoFileSystem(let name): return PseudoFileSystem.reason(name)
        case .mayStopAnswering(let type):
            return
                "a \(type) mount point, a file system served by a daemon or a server that can stop answering: not entered in a walk (name it to walk it)"
        }
    }

    /// A short name for JSON and totals.
    public var kind: String {
        switch self {
        case .symlink: return "symlink"
        case .special: return "special"
        case .tooLarge: return "too-large"
        case .otherFileSystem: return "other-file-system"
        case .directoryAgain: return "directory-again"
        case .pseudoFileSystem: return "pseudo-file-system"
        case .mayStopAnswering: return "may-stop-answering"
        }
    }
}

public struct TreeWalkOptions: Sendable {
    public var patterns = FileNamePatterns()
    /// `-m`: regular files larger than this are skipped.
    public var maxFileSize: UInt64?
    /// `-f`: follow symbolic links (off: a link is never opened or entered).
    public var followSymlinks = false
    /// `-F`: do not enter a directory on another file system than its argument.
    public var oneFileSystem = false

    public init() {}
}

/// Walks files and directory trees without a path-based time-of-check-to-time-of-use gap:
/// every name is opened with openat(2) relative to its directory's descriptor, with
/// O_NOFOLLOW (unless `-f`), O_NONBLOCK and O_NOCTTY, and checked with fstat(2) on the
/// descriptor. Only names the directory entry (or fstatat without following) says are
/// regular files or directories are ever opened: a FIFO, socket or device never is. A name
/// swapped for something else between the entry and the open is seen by fstat and skipped
/// (a FIFO opened O_NONBLOCK does not block). Nothing on a pseudo file system (procfs,
/// sysfs, tracefs, ...) is opened: an argument there is skipped, and so is a directory on
/// one (a mount point met in the walk) before it is read. A file with several links is reported once
/// (by device and inode), as vmtouch does; with `-f`, directories are walked once each too.
public struct TreeWalker {
    public let options: TreeWalkOptions
    /// Directories nested deeper than this are not entered: the walk holds a descriptor and
    /// recurses once per level, and its frames must fit the main thread's stack
    /// (RLIMIT_STACK). A debug build's frames take about 10 KiB a level (a 900-deep tree
    /// overflowed 8 MiB); 32 KiB a level is allowed for sanitizer builds, 1 MiB kept spare:
    /// 224 levels with the usual 8 MiB, at most 1024.
    public static let maxDepth: Int = {
        guard let limit = ProcessLimits.softLimit(__rlimit_resource_t(3 /* RLIMIT_STACK */)) else { return 1024 }
        let usable = Int(clamping: limit) - (1 << 20)
        return max(16, min(1024, usable / (32 << 10)))
    }()

    /// Files already reported: by this walk only, or (`pin`) by every walk of the command.
    private let seenFiles: SeenFiles
    /// Every file is checked against `seenFiles`, not only those with several links: set
    /// when the set is shared, since another walk may have taken a file with one link.
    private let everyFile: Bool
    private var seenDirectories = Set<FileIdentity>()
    /// This namespace's mount points, read when the walk is made (nil without /proc): a
    /// mount point met in a walk is judged by its type before it is opened or stat'ed.
    private let mounts: MountPoints? = MountPoints.current()
    /// Regular files left out because they were already seen (a hard link, or a file an
    /// earlier walk sharing the set took).
    public private(set) var alreadySeen: UInt64 = 0

    public init(options: TreeWalkOptions) {
        self.options = options
        seenFiles = SeenFiles()
        everyFile = false
    }

    /// A walk that leaves out every file `seen` holds, and adds the files it reports to it.
    public init(options: TreeWalkOptions, seen: SeenFiles) {
        self.options = options
        seenFiles = seen
        everyFile = true
    }

    public typealias Visit = (TreeWalkEvent) throws(PinctlError) -> Void

    /// Walks one command-line argument (a file or a directory).
    public mutating func walk(_ argument: String, visit: Visit) throws(PinctlError) {
        var path = Array(argument.utf8)
        while path.count > 1 && path.last == UInt8(ascii: "/") { path.removeLast() }
        guard !path.isEmpty else {
            try visit(.failed(path: path, message: "an empty path: give a file or directory"))
            return
        }
        if path.contains(0) {
            try visit(.failed(path: path, message: "a path with a NUL byte: give a file or directory"))
            return
        }
        let name = Self.lastName(path)
        let ignored = name.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { options.patterns.ignores($0.baseAddress!) }
        }
        if ignored { return }
        let st: stat
        let statFlags = options.followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW
        do throws(SyscallError) { st = try FileDescriptor.stat(argument, at: AT_FDCWD, flags: statFlags) } catch {
            // An argument that is not there never was, as far as this walk knows.
            let message =
                error.errno == ENOENT
                ? "no such file or directory (ENOENT): give an existing path" : Self.openFailure(error.errno, what: "stat")
            try visit(.failed(path: path, message: message))
            return
        }
        let type = st.st_mode & S_IFMT
        // statfs follows a link, as the open below would with -f; without -f a link is skipped.
        if type != S_IFLNK || options.followSymlinks, let fs = PseudoFileSystem.holding(path: argument) {
            try visit(.skipped(path: path, reason: .pseudoFileSystem(fs)))
            return
        }
        let rootDev = UInt64(st.st_dev)
        // A C copy (withCString would widen the typed throws to any Error).
        guard let c = strdup(argument) else { throw .system(SyscallError(call: "strdup", object: "a path", errno: ENOMEM)) }
        defer { free(c) }
        // -I matches the last name, as for names inside directories; with -f the argument was
        // stat'ed through its links, so it is opened through them too.
        try name.withUnsafeBufferPointer { (b) throws(PinctlError) in
            let match = UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self)
            try visitEntry(
                dir: AT_FDCWD, name: c, matchName: match, type: type, follow: options.followSymlinks, path: &path, depth: 0,
                rootDev: rootDev, visit: visit)
        }
    }

    /// One directory entry, whatever its type: `type` is S_IF* from the entry or fstatat.
    private mutating func visitEntry(
        dir: Int32, name: UnsafePointer<CChar>, matchName: UnsafePointer<CChar>, type: mode_t, follow: Bool, path: inout [UInt8],
        depth: Int, rootDev: UInt64, visit: Visit
    ) throws(PinctlError) {
        var type = type
        var follow = follow
        if type == S_IFLNK {
            guard options.followSymlinks else {
                try visit(.skipped(path: path, reason: .symlink))
                return
            }
            let st: stat
            do throws(SyscallError) {
                st = try FileDescriptor.stat(name, at: dir, flags: 0, display: String(decoding: path, as: UTF8.self))
            } catch {
                let why = error.errno == ENOENT ? "a symbolic link to nothing (dangling)" : Self.openFailure(error.errno, what: "follow")
                try visit(.failed(path: path, message: why))
                return
            }
            type = st.st_mode & S_IFMT
            follow = true
        }
        switch type {
        case S_IFDIR:
            try walkDirectory(dir: dir, name: name, follow: follow, path: &path, depth: depth, rootDev: rootDev, visit: visit)
        case S_IFREG:
            guard options.patterns.includes(matchName) else { return }
            try visitFile(dir: dir, name: name, follow: follow, path: path, visit: visit)
        default:
            try visit(.skipped(path: path, reason: .special(RegularFile.typeName(type))))
        }
    }

    /// An O_PATH descriptor (which opens nothing: no device open, no tracefs side effect) of
    /// what the name resolves to through its links, when that is a regular file on a file
    /// system with page cache; otherwise the event is visited and nil returned.
    static func resolveFollowed(
        dir: Int32, name: UnsafePointer<CChar>, path: [UInt8], display: String, visit: Visit
    ) throws(PinctlError) -> FileDescriptor? {
        let target: FileDescriptor
        do throws(SyscallError) {
            target = try FileDescriptor.open(name, at: dir, flags: CPINCTL_O_PATH, display: display)
        } catch {
            try visit(.failed(path: path, message: openFailure(error.errno, what: "open")))
            return nil
        }
        let st: stat
        do throws(SyscallError) { st = try target.stat() } catch {
            target.close()
            try visit(.failed(path: path, message: openFailure(error.errno, what: "fstat")))
            return nil
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            target.close()
            try visit(.failed(path: path, message: replaced(st)))
            return nil
        }
        if let fs = PseudoFileSystem.holding(fd: target.raw) {
            target.close()
            try visit(.skipped(path: path, reason: .pseudoFileSystem(fs)))
            return nil
        }
        return target
    }

    static func replaced(_ st: stat) -> String {
        "was a regular file when listed and is \(RegularFile.typeName(st.st_mode)) now (replaced during the walk): skipped"
    }

    private mutating func visitFile(dir: Int32, name: UnsafePointer<CChar>, follow: Bool, path: [UInt8], visit: Visit) throws(PinctlError) {
        let base = O_RDONLY | O_NONBLOCK | O_NOCTTY | (follow ? 0 : CPINCTL_O_NOFOLLOW)
        let display = String(decoding: path, as: UTF8.self)
        // A followed link can be swapped for one to a device (or into tracefs) after the stat
        // that said "regular file": it is resolved first (`resolveFollowed`) and only the
        // regular file it named is opened, through /proc/self/fd.
        let resolved: FileDescriptor?
        if follow {
            guard let r = try Self.resolveFollowed(dir: dir, name: name, path: path, display: display, visit: visit) else { return }
            resolved = r
        } else {
            resolved = nil
        }
        defer { resolved?.close() }
        func open(_ flags: Int32) throws(SyscallError) -> FileDescriptor {
            guard let resolved else { return try FileDescriptor.open(name, at: dir, flags: flags, display: display) }
            return try FileDescriptor.open("/proc/self/fd/\(resolved.raw)", flags: flags, display: display)
        }
        let file: FileDescriptor
        do throws(SyscallError) {
            do {
                file = try open(base | CPINCTL_O_NOATIME)
            } catch  where error.errno == EPERM {
                // O_NOATIME needs the file's owner or CAP_FOWNER.
                file = try open(base)
            }
        } catch {
            if resolved != nil && error.errno == ENOENT {
                try visit(
                    .failed(
                        path: path,
                        message: "-f opens a followed link's file through /proc/self/fd, and /proc is not mounted: mount /proc or drop -f"))
                return
            }
            if error.errno == ELOOP && !follow {
                // The name became a symbolic link after the directory entry was read.
                try visit(.skipped(path: path, reason: .symlink))
            } else if error.errno == EAGAIN {
                let st = try? FileDescriptor.stat(name, at: dir, flags: follow ? 0 : AT_SYMLINK_NOFOLLOW, display: display)
                try visit(.failed(path: path, message: FileLease.reason(st, writing: false)))
            } else {
                try visit(.failed(path: path, message: Self.openFailure(error.errno, what: "open")))
            }
            return
        }
        defer { file.close() }
        let fd = file.raw
        let st: stat
        do throws(SyscallError) { st = try file.stat() } catch {
            try visit(.failed(path: path, message: Self.openFailure(error.errno, what: "fstat")))
            return
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            try visit(.failed(path: path, message: Self.replaced(st)))
            return
        }
        if st.st_nlink > 1 || options.followSymlinks || everyFile {
            guard seenFiles.insert(FileIdentity(st)) else {
                alreadySeen += 1
                return
            }
        }
        let size = UInt64(max(0, st.st_size))
        if let limit = options.maxFileSize, size > limit {
            try visit(.skipped(path: path, reason: .tooLarge(size: size, limit: limit)))
            return
        }
        try visit(.file(fd: fd, stat: st, path: path))
    }

    private mutating func walkDirectory(
        dir: Int32, name: UnsafePointer<CChar>, follow: Bool, path: inout [UInt8], depth: Int, rootDev: UInt64, visit: Visit
    ) throws(PinctlError) {
        guard depth < Self.maxDepth else {
            try visit(.failed(path: path, message: "nested deeper than \(Self.maxDepth) directories: not entered"))
            return
        }
        let flags = O_RDONLY | CPINCTL_O_DIRECTORY | O_NONBLOCK | (follow ? 0 : CPINCTL_O_NOFOLLOW)
        let directory: FileDescriptor
        do throws(SyscallError) {
            directory = try FileDescriptor.open(name, at: dir, flags: flags, display: String(decoding: path, as: UTF8.self))
        } catch {
            if error.errno == ELOOP && !follow {
                try visit(.skipped(path: path, reason: .symlink))
            } else if error.errno == ENOTDIR {
                try visit(.failed(path: path, message: "was a directory when listed and is not now (replaced during the walk): skipped"))
            } else {
                try visit(.failed(path: path, message: Self.openFailure(error.errno, what: "open the directory")))
            }
            return
        }
        let st: stat
        do throws(SyscallError) { st = try directory.stat() } catch {
            directory.close()
            try visit(.failed(path: path, message: Self.openFailure(error.errno, what: "fstat")))
            return
        }
        if options.oneFileSystem && UInt64(st.st_dev) != rootDev {
            directory.close()
            try visit(.skipped(path: path, reason: .otherFileSystem))
            return
        }
        if let fs = PseudoFileSystem.holding(fd: directory.raw) {
            directory.close()
            try visit(.skipped(path: path, reason: .pseudoFileSystem(fs)))
            return
        }
        if options.followSymlinks {
            guard seenDirectories.insert(FileIdentity(st)).inserted else {
                directory.close()
                try visit(.skipped(path: path, reason: .directoryAgain))
                return
            }
        }
        // fdopendir owns the descriptor from here: closedir closes it.
        guard let stream = fdopendir(directory.raw) else {
            let e = errno
            directory.close()
            try visit(.failed(path: path, message: Self.openFailure(e, what: "read the directory")))
            return
        }
        _ = directory.take()
        defer { closedir(stream) }
        try visit(.directory(path: path))
        let dfd = dirfd(stream)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let mark = path.count
        // Where this directory is, as the kernel names it, when a mount point is in it.
        var here: [UInt8]? = nil
        if let mounts, !mounts.parents.isEmpty, let p = Self.kernelPath(of: dfd), mounts.parents.contains(p) {
            here = p == [0x2F] ? [] : p
        }
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 {
                    try visit(.failed(path: path, message: Self.openFailure(errno, what: "read the directory")))
                }
                return
            }
            let cname = (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self)
            // "." and "..".
            if cname[0] == 0x2e && (cname[1] == 0 || (cname[1] == 0x2e && cname[2] == 0)) { continue }
            if options.patterns.ignores(cname) { continue }
            let nameLength = strlen(cname)
            path.append(UInt8(ascii: "/"))
            cname.withMemoryRebound(to: UInt8.self, capacity: nameLength) {
                path.append(contentsOf: UnsafeBufferPointer(start: $0, count: nameLength))
            }
            defer { path.removeSubrange(mark...) }
            if let here, let mounts {
                var point = here
                point.append(0x2F)
                cname.withMemoryRebound(to: UInt8.self, capacity: nameLength) {
                    point.append(contentsOf: UnsafeBufferPointer(start: $0, count: nameLength))
                }
                if let fsType = mounts.type(at: point) {
                    if options.oneFileSystem {
                        try visit(.skipped(path: path, reason: .otherFileSystem))
                        continue
                    }
                    if let pseudo = PseudoFileSystem.named(mountType: fsType) {
                        try visit(.skipped(path: path, reason: .pseudoFileSystem(pseudo)))
                        continue
                    }
                    if MountTypes.mayStopAnswering(fsType) {
                        try visit(.skipped(path: path, reason: .mayStopAnswering(TerminalEscaping.escape(fsType))))
                        continue
                    }
                }
            }
            var type: mode_t
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): type = S_IFREG
            case Int32(DT_DIR): type = S_IFDIR
            case Int32(DT_LNK): type = S_IFLNK
            case Int32(DT_FIFO): type = S_IFIFO
            case Int32(DT_SOCK): type = S_IFSOCK
            case Int32(DT_CHR): type = S_IFCHR
            case Int32(DT_BLK): type = S_IFBLK
            default:
                // DT_UNKNOWN: the file system does not say; ask without following.
                let st: stat
                do throws(SyscallError) {
                    st = try FileDescriptor.stat(cname, at: dfd, flags: AT_SYMLINK_NOFOLLOW, display: String(decoding: path, as: UTF8.self))
                } catch {
                    try visit(.failed(path: path, message: Self.openFailure(error.errno, what: "stat")))
                    continue
                }
                type = st.st_mode & S_IFMT
            }
            // Names stay C strings: String(cString:) would replace bytes that are not UTF-8,
            // and openat would then look up another name.
            try visitEntry(
                dir: dfd, name: cname, matchName: cname, type: type, follow: false, path: &path, depth: depth + 1, rootDev: rootDev,
                visit: visit)
        }
    }

    /// The path of an open directory as the kernel holds it (/proc/self/fd), or nil.
    static func kernelPath(of fd: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let n = buffer.withUnsafeMutableBytes { b in
            readlink("/proc/self/fd/\(fd)", b.baseAddress!.assumingMemoryBound(to: CChar.self), 4096)
        }
        guard n > 0, n < 4096, buffer[0] == 0x2F else { return nil }
        return Array(buffer[0..<n])
    }

    /// The last name of a path, NUL-terminated.
    static func lastName(_ path: [UInt8]) -> [UInt8] {
        var name = path
        if let slash = path.lastIndex(of: UInt8(ascii: "/")), path.count > 1 { name = Array(path[(slash + 1)...]) }
        return name + [0]
    }

    /// One line for a failed call on a path: the errno by name, what it means here.
    static func openFailure(_ err: Int32, what: String) -> String {
        let name = SyscallError.name(of: err)
        switch err {
        case EACCES, EPERM: return "cannot \(what) (\(name)): no permission; run as root or as the owner"
        case ENOENT: return "vanished during the walk (\(name))"
        case ELOOP: return "too many levels of symbolic links (\(name)): a link loop"
        case EMFILE, ENFILE: return "cannot \(what) (\(name)): out of file descriptors; raise `ulimit -n`"
        default: return "cannot \(what) (\(name): \(String(cString: strerror(err))))"
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// /proc/PID opened once, as a directory: every file of the process is opened relative to
/// it (openat), so once the process is reaped the files are gone (ENOENT) instead of being
/// those of whichever process the pid is given to next. And whether the address space that
/// was read is still the one being inspected (the process may exit or exec meanwhile).
public final class ProcessDirectory {
    public let process: ProcessRef
    let fd: FileDescriptor

    public init(_ process: ProcessRef) throws(PinctlError) {
        self.process = process
        do throws(SyscallError) {
            // /proc/self is the kernel's link to this process's own directory: followed.
            fd = try openDirectory(process.directory, noFollow: !process.isSelf)
        } catch {
            throw process.classify(error, file: "")
        }
    }

    /// Opens FILE of this process, read-only.
    public func open(_ file: String) throws(PinctlError) -> FileDescriptor {
        do {
            return try openAt(file)
        } catch {
            // pagemap (and mem) of a kernel thread or zombie: ESRCH, as if it were gone.
            if error.errno == ESRCH || error.errno == ENOENT { throw addressSpaceGone(while: "") }
            throw process.classify(error, file: file)
        }
    }

    func openAt(_ file: String) throws(SyscallError) -> FileDescriptor {
        try fd.open(file, flags: O_RDONLY | O_NOFOLLOW, display: process.path(file))
    }

    /// The bytes of a /proc text file of this process.
    public func readBytes(_ file: String) throws(PinctlError) -> [UInt8] {
        let f = try open(file)
        do {
            return try ProcFileReader.bytes(of: f)
        } catch {
            throw process.classify(error, file: file)
        }
    }

    /// Each VMA of this process's smaps as it is read (ProcSmaps.stream), counters only where
    /// `wantFields`.
    public func streamSmaps(wantFields: @escaping (VMA) -> Bool = { _ in true }, _ body: (SmapsEntry) throws(PinctlError) -> Void)
        throws(PinctlError)
    {
        try ProcSmaps.stream(try open("smaps"), wantFields: wantFields, readError: smapsReadError, body)
    }

    /// Whether the file of a mapping whose path ends in " (deleted)" was unlinked: the
    /// kernel appends that to an unlinked file's name, and a live file may be named so. The
    /// mapped file (map_files/START-END, root only) is stat'ed, then the path as written
    /// in the process's root: the same file there is a live one of that name; none, or
    /// another, means the mapped one was unlinked. nil for other paths, or when map_files
    /// cannot be read (not root): the text alone cannot tell.
    ///
    /// Neither stat may wait on a file system that stopped answering (a user's stopped FUSE
    /// daemon, a hung NFS server): both take the kernel's cached attributes
    /// (AT_STATX_DONT_SYNC), and the path is not looked up at all when a mount on it is
    /// served by a daemon or a server (its lookups go there): nil then.
    public func unlinked(_ v: VMA) -> Bool? {
        guard v.inode != 0, v.path.hasPrefix("/"), v.path.hasSuffix(VMA.deletedSuffix) else { return nil }
        let range = String(v.start, radix: 16) + "-" + String(v.end, radix: 16)
        let cached = FileDescriptor.atStatxDontSync
        guard let mapped = try? fd.stat("map_files/" + range, flags: cached) else { return nil }
        let raw = v.rawPath ?? Array(v.path.utf8)
        guard !crossesAMountThatMayStopAnswering(raw) else { return nil }
        let name = raw.map { CChar(bitPattern: $0) }
        let named = (Array("root".utf8CString.dropLast()) + name + [0]).withUnsafeBufferPointer { p in
            try? FileDescriptor.stat(
                p.baseAddress!, at: fd.raw, flags: AT_SYMLINK_NOFOLLOW | Self.atNoAutomount | cached, display: v.path)
        }
        guard let named else { return true }
        return !(named.st_dev == mapped.st_dev && named.st_ino == mapped.st_ino)
    }

    /// AT_NO_AUTOMOUNT (<linux/fcntl.h>).
    static let atNoAutomount: Int32 = 0x800

    /// This process's mount points, read once (nil: mountinfo unreadable).
    private lazy var mountPoints: MountPoints? = (try? readBytes("mountinfo")).map { MountPoints.parse(mountinfo: $0) }

    /// Whether a lookup of `path` would pass a mount served by a daemon or a server, or
    /// mountinfo cannot say.
    private func crossesAMountThatMayStopAnswering(_ path: [UInt8]) -> Bool {
        guard let mounts = mountPoints else { return true }
        var prefix: [UInt8] = []
        for (i, b) in path.enumerated() {
            if b == 0x2F || i == path.count - 1 {
                let p = b == 0x2F ? (prefix.isEmpty ? [0x2F] : prefix) : prefix + [b]
                if let t = mounts.type(at: p), MountTypes.mayStopAnswering(t) { return true }
            }
            prefix.append(b)
        }
        return false
    }

    /// Each VMA of this process's maps as it is read (a chunk at a time, not the file whole).
    public func streamMaps(_ body: (VMA) throws(PinctlError) -> Void) throws(PinctlError) {
        try ProcMaps.stream(try open("maps"), readError: { process.classify($0, file: "maps") }, body)
    }

    /// Every VMA of this process's smaps, read a chunk at a time (not the file whole).
    public func readSmaps(wantFields: @escaping (VMA) -> Bool = { _ in true }) throws(PinctlError) -> [SmapsEntry] {
        try ProcSmaps.read(try open("smaps"), wantFields: wantFields, readError: smapsReadError)
    }

    private func smapsReadError(_ e: SyscallError) -> PinctlError { process.classify(e, file: "smaps") }

    public func readText(_ file: String) throws(PinctlError) -> String {
        String(decoding: try readBytes(file), as: UTF8.self)
    }

    /// What the process is now, from /proc/PID/stat: running (with an address space), a
    /// zombie, a kernel thread, or gone.
    public enum State: Equatable, Sendable {
        case live
        case zombie
        case kernelThread
        /// PF_EXITING: on its way out (it tears its address space down before it is a
        /// zombie), killed or exiting.
        case exiting
        case gone
    }

    /// PF_KTHREAD in the flags field of /proc/PID/stat.
    static let kernelThreadFlag: UInt64 = 0x0020_0000
    /// PF_EXITING: set by do_exit() before exit_mm(), so a process whose address space went
    /// away without an exec still says why.
    static let exitingFlag: UInt64 = 0x0000_0004

    public func state() -> State {
        guard let bytes = try? ProcFileReader.bytes(of: openAt("stat")) else { return .gone }
        return Self.state(ofStat: bytes)
    }

    /// "pid (comm) S ppid pgrp session tty tpgid flags ...": comm may hold spaces and ')', so
    /// the fields start after the last ')'.
    static func state(ofStat bytes: [UInt8]) -> State {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return .gone }
        let fields = bytes[(close + 1)...].split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == ProcText.newline })
        guard fields.count > 6, let state = fields[0].first else { return .gone }
        if state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") || state == UInt8(ascii: "x") { return .zombie }
        if let flags = NumberParsing.digits(fields[6], radix: 10) {
            if flags & kernelThreadFlag != 0 { return .kernelThread }
            if flags & exitingFlag != 0 { return .exiting }
        }
        return .live
    }

    /// The error for an address space that is missing or went away while it was read: a
    /// kernel thread and a zombie have none; a process that exited or exec'd took it along.
    public func addressSpaceGone(while doing: String) -> PinctlError {
        let pid = process.pid
        switch state() {
        case .kernelThread:
            return .noAddressSpace(
                "process \(pid) has no address space (kernel thread): it has no user memory to inspect; give a user process's pid")
        case .zombie:
            return .noAddressSpace(
                "process \(pid) has no address space (zombie): it exited \(doing.isEmpty ? "" : "while \(doing) ")and its parent has not reaped it"
            )
        case .gone, .exiting:
            if doing.isEmpty { return .processNotFound(pid: pid) }
            return .noAddressSpace("process \(pid) exited while \(doing): nothing to report; run again on a live process")
        case .live:
            return .noAddressSpace(
                "process \(pid) replaced its address space (execve)\(doing.isEmpty ? "" : " while \(doing)"): the report would mix two programs; run again"
            )
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Reads every process of /proc once for the census: VmPin and VmLck from status, each fd's
/// link target (io_uring instances, devices by major number), then, for processes that pin
/// or lock, their io_uring fdinfo, locked VMAs, comm and cgroup. Every file of a process is
/// opened relative to its /proc/PID directory fd, so a reused pid cannot stand in for it;
/// nothing is opened but /proc files (a device is named by fstatat, never opened), and
/// nothing is asked of a file's own file system but a device node's on devtmpfs or tmpfs
/// (a FUSE daemon that stopped or a hung NFS server would never answer).
public struct ProcessScan {
    public var rows: [CensusRow] = []
    public var scanned = 0
    public var vanished = 0
    public var unreadable = 0
    /// Processes with an address space (not kernel threads or zombies): what --deep walks.
    public var liveUserPids: [Int32] = []

    typealias Skip = ProcFileReader.Skip

    public static func run(classifier: DeviceClassifier, procRoot: String = "/proc") throws(PinctlError) -> ProcessScan {
        var scan = ProcessScan()
        let root: DirectoryStream
        do throws(SyscallError) { root = try DirectoryStream(procRoot) } catch { throw .system(error) }
        var reader = ProcFileReader()
        var mounts = MountTable()
        // By /proc's numbering: in a pid namespace with the parent's /proc, getpid() is 1.
        let selfPid = ProcMount.selfPid(procRoot) ?? getpid()
        while let entry = root.next() {
            guard let pid = ProcDirectoryEntry.pid(of: entry), pid != selfPid else { continue }
            scan.scanned += 1
            do throws(Skip) {
                if let row = try Self.scanProcess(
                    pid: pid, rootFd: root.fd, classifier: classifier, reader: &reader, mounts: &mounts, live: &scan.liveUserPids)
                {
                    scan.rows.append(row)
                }
            } catch {
                switch error {
                case .vanished: scan.vanished += 1
                case .unreadable: scan.unreadable += 1
                case .exhausted(let err): throw .system(Self.exhausted(err, pid: pid))
                }
            }
        }
        scan.rows.sort { ($0.bytes, $1.pid) > ($1.bytes, $0.pid) }
        return scan
    }

    /// The one line for a scan that ran out of descriptors or memory, with the way out.
    static func exhausted(_ err: Int32, pid: Int32) -> SyscallError {
        var e = SyscallError(call: "openat", object: "/proc/\(pid)", errno: err)
        switch err {
        case EMFILE:
            let limit = ProcessLimits.softLimitText(__rlimit_resource_t(RLIMIT_NOFILE.rawValue))
            e.advice =
                "pinctl is out of file descriptors (RLIMIT_NOFILE \(limit)) and would skip every process: raise `ulimit -n` (LimitNOFILE= in a unit)"
        case ENFILE: e.advice = "the system's file table is full (fs.file-max): the census would skip every process"
        default: e.advice = "out of memory: the census would skip every process"
        }
        return e
    }

    static func scanProcess(
        pid: Int32, rootFd: Int32, classifier: DeviceClassifier, reader: inout ProcFileReader, mounts: inout MountTable,
        live: inout [Int32]
    ) throws(Skip) -> CensusRow? {
        let dir = try Self.openDirectory(at: rootFd, "\(pid)")
        let status = try reader.read(at: dir.raw, "status")
        guard let (vmPin, vmLck) = Self.pinAndLock(status) else {
            return nil  // no address space: a kernel thread or a zombie
        }
        live.append(pid)
        // status is world-readable, fd/ and smaps are not (ptrace's read check): a process
        // whose fds this caller may not read keeps its row when VmPin or VmLck say it pins
        // or locks, with what is unknown named, rather than vanish from the census.
        var unread: [CensusRow.Unread] = []
        var devices: [DeviceFd] = []
        var rings: [IoUringRing] = []
        do throws(Skip) {
            var ringFds: [Int32] = []
            var paths: [(fd: Int32, path: [UInt8])] = []
            try Self.scanFds(dirFd: dir.raw, target: &reader.linkTarget, rings: &ringFds, paths: &paths)
            devices = try Self.devices(paths, dirFd: dir.raw, classifier: classifier, reader: &reader, mounts: &mounts)
            for fd in ringFds {
                let ring = IoUringFdinfo.parse(try reader.read(at: dir.raw, "fdinfo/\(fd)"), fd: fd)
                if ring.userBufs != 0 || !ring.buffers.isEmpty { rings.append(ring) }
            }
        } catch {
            guard case .unreadable = error else { throw error }
            guard vmPin > 0 || vmLck > 0 else { throw error }
            (devices, rings) = ([], [])
            unread.append(.fds)
        }
        guard vmPin > 0 || vmLck > 0 || !rings.isEmpty || !devices.isEmpty else { return nil }
        var locked: [LockedVMA] = []
        if vmLck > 0 {
            do throws(Skip) {
                let smaps = try reader.read(at: dir.raw, "smaps")
                guard let entries = try? ProcSmaps.parse(bytes: smaps, wantFields: { _ in true }) else { throw .unreadable }
                for e in entries where e.vmFlags.contains("lo") {
                    locked.append(
                        LockedVMA(
                            start: e.vma.start, end: e.vma.end, lockedBytes: e["Locked"], path: e.vma.path,
                            pathBytes: e.vma.rawPath.map { TerminalEscaping.hex($0) }))
                }
            } catch {
                guard case .unreadable = error else { throw error }
                locked = []
                unread.append(.smaps)
            }
        }
        var comm = try reader.read(at: dir.raw, "comm")
        if comm.last == ProcText.newline { comm.removeLast() }
        let cgroup = TerminalEscaping.textAndHexBytes(Self.cgroupPath(try reader.read(at: dir.raw, "cgroup")))
        let name = TerminalEscaping.textAndHexBytes(comm)
        return CensusRow(
            pid: pid, comm: name.text, commBytes: name.hexBytes,
            cgroup: cgroup.text, cgroupBytes: cgroup.hexBytes, vmPinBytes: vmPin, vmLckBytes: vmLck,
            lockedVMAs: locked, ioUringRings: rings, deviceFds: devices, unread: unread)
    }

    static func openDirectory(at dirFd: Int32, _ name: String) throws(Skip) -> FileDescriptor {
        do throws(SyscallError) {
            return try PinctlKit.openDirectory(name, at: dirFd, noFollow: true)
        } catch {
            throw ProcFileReader.skip(error.errno)
        }
    }

    /// VmPin and VmLck in bytes; nil when status has no Vm lines (no address space).
    static func pinAndLock(_ status: [UInt8]) -> (UInt64, UInt64)? {
        let t = ProcText(bytes: status)
        var pin: UInt64?
        var lck: UInt64?
        try? t.forEachLine { line in
            guard pin == nil || lck == nil, line.count > 6, t.bytes[line.lowerBound] == UInt8(ascii: "V") else { return }
            var rest = line
            guard let key = t.nextField(&rest) else { return }
            if t.equals(key, "VmPin:") {
                pin = ProcSmaps.value(t, rest)
            } else if t.equals(key, "VmLck:") {
                lck = ProcSmaps.value(t, rest)
            }
        }
        guard let pin, let lck else { return nil }
        return (pin, lck)
    }

    /// Each fd's link target: io_uring instances by name, and the fds whose target is a path
    /// (what `devices` classifies). readlink of /proc/PID/fd/N names the file from the
    /// kernel's own records, without asking its file system.
    static func scanFds(dirFd: Int32, target: inout [UInt8], rings: inout [Int32], paths: inout [(fd: Int32, path: [UInt8])])
        throws(Skip)
    {
        let dir: DirectoryStream
        do throws(SyscallError) { dir = try DirectoryStream("fd", at: dirFd, noFollow: true) } catch {
            throw ProcFileReader.skip(error.errno)
        }
        while true {
            guard let entry = dir.next() else {
                // readdir of a process that exited meanwhile ends with ENOENT or ESRCH.
                if errno != 0 { throw ProcFileReader.skip(errno) }
                return
            }
            let name = ProcDirectoryEntry.name(entry)
            guard let fd = ProcDirectoryEntry.decimal(name) else { continue }
            let n = target.withUnsafeMutableBufferPointer { readlinkat(dir.fd, name, $0.baseAddress!, $0.count) }
            guard n > 0 else { continue }  // the fd was closed meanwhile
            if n == 21 && target.starts(with: ioUringTarget) {
                rings.append(fd)
            } else if target[0] == UInt8(ascii: "/") {
                paths.append((fd, Array(target[0..<n])))
            }
        }
    }

    /// The character devices among `paths`, by major number. Only a file on a mount the
    /// kernel answers for itself (fdinfo's mnt_id, looked up in the process's mountinfo) is
    /// stat'ed, and with AT_STATX_DONT_SYNC, so that an fd swapped meanwhile for a file on
    /// FUSE gets its cached attributes rather than a request.
    static func devices(
        _ paths: [(fd: Int32, path: [UInt8])], dirFd: Int32, classifier: DeviceClassifier, reader: inout ProcFileReader,
        mounts: inout MountTable
    ) throws(Skip) -> [DeviceFd] {
        guard !paths.isEmpty else { return [] }
        var devices: [DeviceFd] = []
        for (fd, path) in paths {
            let fdinfo: [UInt8]
            do throws(Skip) { fdinfo = try reader.read(at: dirFd, "fdinfo/\(fd)") } catch {
                if case .exhausted = error { throw error }
                continue  // closed meanwhile
            }
            guard let id = MountTypes.mountID(fdinfo: fdinfo), let type = try mounts.type(of: id, dirFd: dirFd, reader: &reader),
                MountTypes.answeredByTheKernel.contains(type)
            else { continue }
            guard let st = try? FileDescriptor.stat("fd/\(fd)", at: dirFd, flags: FileDescriptor.atStatxDontSync),
                st.st_mode & S_IFMT == S_IFCHR
            else { continue }
            let number = DeviceNumber(UInt64(st.st_rdev))
            if let kind = classifier.classify(major: number.major, minor: number.minor) {
                let name = TerminalEscaping.textAndHexBytes(path)
                devices.append(
                    DeviceFd(
                        fd: fd, kind: kind, path: name.text, pathBytes: name.hexBytes, major: number.major, minor: number.minor))
            }
        }
        return devices
    }

    /// Mount IDs to file system types, from the mountinfo of the processes scanned so far.
    /// Mount IDs are unique across namespaces, so one process's mountinfo answers for every
    /// process that shares its mounts: it is read again only for an ID not seen yet (another
    /// mount namespace, a mount made during the scan), not once per process.
    struct MountTable {
        var types: [Int: String] = [:]
        /// IDs a process's own mountinfo did not list either (a mount gone meanwhile).
        var unknown: Set<Int> = []

        mutating func type(of id: Int, dirFd: Int32, reader: inout ProcFileReader) throws(Skip) -> String? {
            if let t = types[id] { return t }
            guard !unknown.contains(id) else { return nil }
            types.merge(MountTypes.parse(mountinfo: try reader.read(at: dirFd, "mountinfo"))) { _, new in new }
            if types[id] == nil { unknown.insert(id) }
            return types[id]
        }
    }

    static let ioUringTarget = Array("anon_inode:[io_uring]".utf8)

    /// "0::/system.slice/x.service" (cgroup v2) or the first line's path (v1 only).
    static func cgroupPath(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        var first: ArraySlice<UInt8>?
        for line in bytes.split(separator: ProcText.newline) {
            guard let c1 = line.firstIndex(of: ProcText.colon),
                let c2 = line[(c1 + 1)...].firstIndex(of: ProcText.colon)
            else { continue }
            let path = line[(c2 + 1)...]
            if line[line.startIndex..<c1].elementsEqual("0".utf8) && c2 == c1 + 1 { return path }
            if first == nil { first = path }
        }
        return first ?? []
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// GUP flags of a kernel-helper pin.
public struct KernelPinFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let write = KernelPinFlags(rawValue: UInt32(PINCTL_PIN_WRITE))
    public static let longterm = KernelPinFlags(rawValue: UInt32(PINCTL_PIN_LONGTERM))
    public static let fast = KernelPinFlags(rawValue: UInt32(PINCTL_PIN_FAST))
    public static let get = KernelPinFlags(rawValue: UInt32(PINCTL_PIN_GET))
    public static let remote = KernelPinFlags(rawValue: UInt32(PINCTL_PIN_REMOTE))
}

/// What the kernel says about one page: what /proc cannot show.
public struct KernelPageState: Codable, Sendable, Equatable {
    public var pfn: UInt64?
    /// The page's (folio's) reference count, less the query's own reference.
    public var refcount: UInt32
    public var mapcount: UInt32
    /// folio_maybe_dma_pinned(): a FOLL_PIN is held on it.
    public var dmaPinned: Bool
    public var compound: Bool
    public var order: UInt32
}

/// The module's ABI version and limits.
public struct KernelHelperVersion: Codable, Sendable {
    public var abiVersion: UInt32
    public var features: [String]
    public var maxPagesPerFd: UInt64
    public var maxHandlesPerFd: UInt64
    /// Pages all open files together may hold pinned (module-wide).
    public var maxPagesTotal: UInt64
    /// A pin whose pages exceed this reference count is refused (EOVERFLOW).
    public var maxPageRefcount: UInt64
    /// One user's share of maxPagesTotal (ENOSPC beyond it; CAP_SYS_ADMIN exempt); 0 from a
    /// module without the "user-share" feature.
    public var maxPagesPerUser: UInt64
    /// This descriptor is shown PFNs: its opener had CAP_SYS_ADMIN (pagemap's rule).
    public var showsPFNs: Bool
    /// The pinctl release the module was built from ("0.1.0"); nil from a module older than
    /// the field.
    public var moduleVersion: String?
}

/// A client of /dev/pinctl, the optional KernelHelper module. Pins belong to this object's
/// open file, shared by every holder of it (fork, SCM_RIGHTS): dropping the last descriptor
/// (or the process dying) releases every one. Another process is named by a descriptor of
/// its /proc/PID/mem, whose open runs the kernel's ptrace attach check (LSMs and Yama too).
public final class KernelHelper {
    public static let devicePath = "/dev/pinctl"
    package let fd: FileDescriptor

    init(fd: FileDescriptor) { self.fd = fd }

    /// The device, or nil when the module is not loaded. Only the module's own device is
    /// opened: a FIFO planted at the path would block the open, and another device would see
    /// an open and answer ENOTTY. The path is resolved with O_PATH, which opens nothing, and
    /// must be the misc device /proc/misc names pinctl; anything else is no module.
    public static func open(path: String = devicePath) throws(PinctlError) -> KernelHelper? {
        let e: SyscallError
        do throws(SyscallError) {
            let target = try FileDescriptor.open(path, flags: CPINCTL_O_PATH)
            defer { target.close() }
            guard isModuleDevice(try target.stat()) else { return nil }
            return KernelHelper(fd: try FileDescriptor.open("/proc/self/fd/\(target.raw)", flags: O_RDWR, display: path))
        } catch {
            e = error
        }
        switch e.errno {
        case ENOENT, ENODEV, ENXIO: return nil
        case EACCES, EPERM:
            throw .permissionDenied(
                "\(path): \(e.errnoName): the device is not open to you: the pinctl-dkms package gives it to group pinctl (0660), so ask an administrator to add you (adduser USER pinctl, then log in again), or run as root"
            )
        default: throw .system(e)
        }
    }

    /// A character device of the misc major (10) whose minor /proc/misc gives "pinctl"; with
    /// no /proc to ask, the misc major alone.
    static func isModuleDevice(_ st: stat) -> Bool {
        guard st.st_mode & S_IFMT == S_IFCHR else { return false }
        let number = DeviceNumber(UInt64(st.st_rdev))
        guard number.major == ProcMisc.major else { return false }
        guard let misc = try? ProcFileReader.bytes(ProcMisc.path) else { return true }
        return ProcMisc.parse(misc).first { $0.name == "pinctl" }?.minor == number.minor
    }

    package func fail(_ call: String, _ object: String) -> SyscallError { lastError("ioctl(\(call))", object) }

    private var abiChecked = false

    /// PIN, QUERY and BENCH only with a module of this client's ABI: ABI 1 read the field that
    /// now carries a /proc/PID/mem descriptor as a pid, so an old module would pin in whichever
    /// process that number names.
    package func requireABI() throws(PinctlError) {
        if abiChecked { return }
        let v = try version()
        guard v.abiVersion == UInt32(PINCTL_ABI_VERSION) else {
            throw .refused(
                "the loaded pinctl module speaks ABI \(v.abiVersion) and this pinctl ABI \(PINCTL_ABI_VERSION): unload it (pinctl module unload) and load the module built from this source (make -C KernelHelper, or DKMS)"
            )
        }
        abiChecked = true
    }

    public func version() throws(PinctlError) -> KernelHelperVersion {
        var v = pinctl_version()
        guard cpinctl_kmod_version(fd.raw, &v) == 0 else { throw .system(fail("PINCTL_IOC_VERSION", fd.path)) }
        let names: [(UInt64, String)] = [
            (UInt64(PINCTL_FEAT_PIN), "pin"), (UInt64(PINCTL_FEAT_REMOTE), "remote"), (UInt64(PINCTL_FEAT_QUERY), "query"),
            (UInt64(PINCTL_FEAT_BENCH), "bench"), (UInt64(PINCTL_FEAT_ACCOUNTING), "accounting"),
            (UInt64(PINCTL_FEAT_MEM_FD), "mem-fd"), (UInt64(PINCTL_FEAT_PFNS), "pfns"), (UInt64(PINCTL_FEAT_BOUNDED), "bounded"),
            (UInt64(PINCTL_FEAT_USER_SHARE), "user-share"), (UInt64(PINCTL_FEAT_LIST), "list"),
            (UInt64(PINCTL_FEAT_FRAMES), "frames"),
        ]
        var features = names.filter { v.features & $0.0 != 0 }.map(\.1)
        let known = names.reduce(0) { $0 | $1.0 }
        if v.features & ~known != 0 { features.append("unknown:\(hex(v.features & ~known))") }
        return KernelHelperVersion(
            abiVersion: v.abi_version, features: features, maxPagesPerFd: v.max_pages_per_fd, maxHandlesPerFd: v.max_handles_per_fd,
            maxPagesTotal: v.max_pages_total, maxPageRefcount: v.max_page_refcount, maxPagesPerUser: v.max_pages_per_user,
            showsPFNs: v.features & UInt64(PINCTL_FEAT_PFNS) != 0, moduleVersion: PinctlVersion.string(code: v.package_version))
    }

    /// Opens /proc/PID/mem: how the module is told which process to reach. The open runs the
    /// kernel's PTRACE_MODE_ATTACH check, and the descriptor keeps the address space it found,
    /// so an exec of the target after the open cannot put another one in its place. The module
    /// takes a write pin only through a descriptor open for writing (as write(2) would), so
    /// `writable` is for pins; queries open it read-only.
    public static func openProcessMemory(pid: Int32, writable: Bool = true) throws(PinctlError) -> FileDescriptor {
        let path = "/proc/\(pid)/mem"
        do throws(SyscallError) {
            return try FileDescriptor.open(path, flags: writable ? O_RDWR : O_RDONLY)
        } catch let e {
            switch e.errno {
            case ENOENT, ESRCH: throw .processNotFound(pid: pid)
            case EACCES, EPERM:
                throw .permissionDenied(
                    "process \(pid): \(path) cannot be opened (\(e.errnoName)): reaching its memory needs ptrace attach rights on it (same user and kernel.yama.ptrace_scope allowing it, or CAP_SYS_PTRACE)"
                )
            default: throw .system(e)
            }
        }
    }

    /// Pins [addr, addr + pages*4K) of this process (or of `pid` with `.remote`); returns the
    /// handle and, when asked, the PFNs.
    public func pin(addr: UInt64, pages: UInt64, flags: KernelPinFlags, pid: Int32 = 0, wantPFNs: Bool = false) throws(PinctlError)
        -> (handle: UInt64, pfns: [UInt64])
    {
        let mem = flags.contains(.remote) ? try Self.openProcessMemory(pid: pid) : nil
        return try pin(addr: addr, pages: pages, flags: flags, memory: mem, pid: pid, wantPFNs: wantPFNs)
    }

    /// Pins a range of the process whose /proc/PID/mem `memory` is (with `.remote`), or of this
    /// process; `pid` only names it in errors.
    public func pin(
        addr: UInt64, pages: UInt64, flags: KernelPinFlags, memory: FileDescriptor?, pid: Int32 = 0, wantPFNs: Bool = false
    ) throws(PinctlError) -> (handle: UInt64, pfns: [UInt64]) {
        try requireABI()
        var pfns = [UInt64](repeating: 0, count: wantPFNs ? Int(pages) : 0)
        var p = pinctl_pin()
        p.addr = addr
        p.nr_pages = pages
        p.flags = flags.rawValue
        p.mem_fd = memory?.raw ?? 0
        let rc = pfns.withUnsafeMutableBufferPointer { buf -> Int32 in
            p.pfns = wantPFNs ? UInt64(UInt(bitPattern: buf.baseAddress)) : 0
            return cpinctl_kmod_pin(fd.raw, &p)
        }
        if rc != 0 {
            let e = fail("PINCTL_IOC_PIN", "\(hex(addr))+\(pages) pages")
            switch e.errno {
            case ENOMEM where !ProcessLimits.memlockAllows(pages << PagemapReader.pageShift):
                throw .refused(ProcessLimits.memlockAdvice("a kernel-helper pin", bytes: pages << PagemapReader.pageShift))
            case EPERM where wantPFNs:
                throw .permissionDenied(
                    "the kernel helper shows PFNs only to a descriptor opened with CAP_SYS_ADMIN, as /proc/PID/pagemap does (EPERM): run as root"
                )
            case EPERM:
                throw .permissionDenied(
                    "holding a pin without FOLL_LONGTERM, or a FOLL_GET reference, blocks migration and needs CAP_SYS_ADMIN (EPERM): pin long-term (drop --no-longterm and --get) or run as root"
                )
            case ESRCH:
                throw .processNotFound(pid: pid)
            case EOVERFLOW:
                throw .refused(
                    "\(hex(addr))+\(pages) pages: a page's reference count is at the kernel helper's bound (EOVERFLOW): it is pinned too often already"
                )
            case EOPNOTSUPP:
                throw .refused(
                    "\(hex(addr))+\(pages) pages: this kernel (before 6.6) cannot pin a hugetlb page in ZONE_MOVABLE or CMA long-term (EOPNOTSUPP): use --no-longterm as root, or hugetlb pages outside ZONE_MOVABLE"
                )
            case EFAULT:
                throw .refused(
                    "\(hex(addr))+\(pages) pages: the kernel refused (EFAULT): part of the range is unmapped, read-only for a WRITE pin, or a file mapping that cannot be long-term pinned for write"
                )
            case ENOSPC:
                throw .refused(
                    "the kernel helper's per-fd, per-user (max_pages_per_user) or module-wide page limit is reached (ENOSPC): release pins, pin less, or have root raise /sys/module/pinctl/parameters/max_pages_per_user"
                )
            default:
                throw .system(e)
            }
        }
        return (p.handle, pfns)
    }

    /// Releases one pin; returns the pages released.
    @discardableResult
    public func unpin(handle: UInt64) throws(PinctlError) -> UInt64 {
        var u = pinctl_unpin()
        u.handle = handle
        guard cpinctl_kmod_unpin(fd.raw, &u) == 0 else { throw .system(fail("PINCTL_IOC_UNPIN", "handle \(handle)")) }
        return u.unpinned
    }

    @discardableResult
    public func unpinAll() throws(PinctlError) -> UInt64 {
        var u = pinctl_unpin()
        u.flags = UInt32(PINCTL_UNPIN_ALL)
        guard cpinctl_kmod_unpin(fd.raw, &u) == 0 else { throw .system(fail("PINCTL_IOC_UNPIN", "all")) }
        return u.unpinned
    }

    public static let maxQueryPages: UInt64 = 1 << 20

    /// Per-page refcount, mapcount and pin state of [addr, addr + pages*4K) in this process
    /// (or `pid`), without faulting anything in. PFNs are nil unless this descriptor is shown them.
    public func query(addr: UInt64, pages: UInt64, pid: Int32? = nil) throws(PinctlError) -> [KernelPageState] {
        let mem: FileDescriptor?
        if let pid { mem = try Self.openProcessMemory(pid: pid, writable: false) } else { mem = nil }
        return try query(addr: addr, pages: pages, memory: mem, pid: pid)
    }

    /// As `query(addr:pages:pid:)`, in the address space `memory` (a /proc/PID/mem descriptor
    /// of `pid`, from `openProcessMemory`) or this process's (nil). The answer grows with
    /// `pages`: callers ask for what they will keep.
    public func query(addr: UInt64, pages: UInt64, memory mem: FileDescriptor?, pid: Int32?) throws(PinctlError)
        -> [KernelPageState]
    {
        try requireABI()
        var out: [KernelPageState] = []
        out.reserveCapacity(Int(min(pages, Self.maxQueryPages)))
        var done: UInt64 = 0
        while done < pages {
            let n = min(Self.maxQueryPages, pages - done)
            var buf = [pinctl_page](repeating: pinctl_page(), count: Int(n))
            var q = pinctl_query()
            q.addr = addr + (done << PagemapReader.pageShift)
            q.nr_pages = n
            if let mem {
                q.mem_fd = mem.raw
                q.flags = UInt32(PINCTL_PIN_REMOTE)
            }
            let rc = buf.withUnsafeMutableBufferPointer { b -> Int32 in
                q.pages = UInt64(UInt(bitPattern: b.baseAddress))
                return cpinctl_kmod_query(fd.raw, &q)
            }
            guard rc == 0 else {
                let e = fail("PINCTL_IOC_QUERY", "\(hex(q.addr))+\(n) pages")
                if e.errno == ESRCH, mem != nil, let pid { throw .processNotFound(pid: pid) }
                throw .system(e)
            }
            for p in buf {
                let present = p.flags & UInt32(PINCTL_PAGE_PRESENT) != 0
                let hidden = p.flags & UInt32(PINCTL_PAGE_PFN_HIDDEN) != 0
                out.append(
                    KernelPageState(
                        pfn: present && !hidden ? p.pfn : nil, refcount: p.refcount, mapcount: p.mapcount,
                        dmaPinned: p.flags & UInt32(PINCTL_PAGE_DMA_PINNED) != 0,
                        compound: p.flags & UInt32(PINCTL_PAGE_COMPOUND) != 0, order: p.order))
            }
            done += n
        }
        return out
    }

    /// Pins and unpins in the kernel `iterations` times; the kernel's own get and put time.
    public func bench(addr: UInt64, pages: UInt64, flags: KernelPinFlags, iterations: UInt32) throws(PinctlError) -> (
        getNs: UInt64, putNs: UInt64
    ) {
        try requireABI()
        var b = pinctl_bench()
        b.addr = addr
        b.nr_pages = pages
        b.flags = flags.rawValue
        b.iterations = iterations
        guard cpinctl_kmod_bench(fd.raw, &b) == 0 else { throw .system(fail("PINCTL_IOC_BENCH", "\(hex(addr))+\(pages) pages")) }
        return (b.get_ns, b.put_ns)
    }
}

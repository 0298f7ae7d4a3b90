import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `pin --dry-run`: for each method, whether it would work on this range and why not,
/// without mapping or pinning anything.
public enum PinPreflight {
    public static func check(_ spec: PinRangeSpec, write: Bool, writeOthersFiles: Bool = false) throws(PinctlError) -> [MethodVerdict] {
        let (backing, bytes) = try describe(spec)
        var out: [MethodVerdict] = []
        var common: [String] = []
        if case .file(let path, _, _) = spec, write, access(path, W_OK) != 0 {
            common.append("\(path) is not writable by this user: --write needs it writable")
        }
        if case .file(let path, _, _) = spec, write, !writeOthersFiles, let st = try? FileDescriptor.stat(path, flags: 0),
            st.st_uid != geteuid()
        {
            common.append(
                "\(path) belongs to uid \(st.st_uid), not to you: --write would dirty it, allocate its holes and change its mtime: add --write-others-files"
            )
        }
        if case .shm(let name, _) = spec, let why = ShmObject.existingProblem(name: name) { common.append(why) }
        if backing == .hugetlb, let free = freeHugePages(), free * PinRangeSpec.hugeSize < bytes {
            common.append("only \(free) free 2 MiB hugetlb pages for \(humanBytes(bytes)): raise vm.nr_hugepages")
        }
        let memInfo = MemoryHeadroom.memInfo()
        let cgroups = MemoryHeadroom.cgroupLimits()
        func memory(_ m: PinMethod, uffdZeroFill: Bool = false) -> [String] {
            let need = newMemory(spec, method: m, write: write, uffdZeroFill: uffdZeroFill)
            guard need > 0, let why = MemoryHeadroom.shortfall(need, what: "\(spec) by \(m.rawValue)", memInfo: memInfo, cgroups: cgroups)
            else {
                return []
            }
            return [why]
        }
        let populate = common + memory(.populate)
        out.append(
            MethodVerdict(
                method: "populate", works: populate.isEmpty, reasons: populate.isEmpty ? ["faults pages in; pins nothing"] : populate))

        var mlock = common + memory(.mlock)
        if !ProcessLimits.memlockAllows(bytes) { mlock.append(ProcessLimits.memlockAdvice("mlock", bytes: bytes)) }
        out.append(
            MethodVerdict(method: "mlock", works: mlock.isEmpty, reasons: mlock.isEmpty ? ["resident and unevictable, but movable"] : mlock)
        )

        var uring = common + memory(.iouring)
        if backing == .file { uring.append("io_uring cannot long-term pin file-backed page cache (EOPNOTSUPP on 6.1, EFAULT on 6.18)") }
        if !ProcessLimits.memlockAllows(bytes) { uring.append(ProcessLimits.memlockAdvice("io_uring buffer registration", bytes: bytes)) }
        if let why = IoUringPin.unavailableReason() { uring.append(why) }
        if bytes > IoUringPin.maxBuffer * IoUringPin.maxBuffers { uring.append("more than 16384 buffers of 1 GiB") }
        out.append(
            MethodVerdict(
                method: "iouring", works: uring.isEmpty, reasons: uring.isEmpty ? ["long-term FOLL_PIN: pages stay in place"] : uring))

        var uffd = common + memory(.uffd, uffdZeroFill: true)
        if backing == .file {
            uffd.append("userfaultfd cannot populate a regular file's page cache (MISSING mode is anon, shmem and hugetlb only)")
        }
        if let why = userfaultfdUnavailableReason() { uffd.append(why) }
        out.append(
            MethodVerdict(
                method: "uffd", works: uffd.isEmpty,
                reasons: uffd.isEmpty ? ["populated by UFFDIO_ZEROPAGE/COPY; faults served by pinctl"] : uffd))

        var kmod = common + memory(.kmod)
        let helper = (try? KernelHelper.open()) ?? nil
        if helper == nil { kmod.append("/dev/pinctl is not there: load the KernelHelper module (pinctl module load)") }
        if backing == .file && write {
            kmod.append("FOLL_LONGTERM|FOLL_WRITE on a file mapping is refused (EFAULT on 6.5+): drop --write or --no-longterm")
        }
        if !ProcessLimits.memlockAllows(bytes) { kmod.append(ProcessLimits.memlockAdvice("a kernel-helper pin", bytes: bytes)) }
        out.append(
            MethodVerdict(
                method: "kmod", works: kmod.isEmpty,
                reasons: kmod.isEmpty ? ["pin_user_pages_fast(FOLL_LONGTERM): pages stay in place"] : kmod))

        let (auto, why) = PinSession.choose(backing: backing, bytes: bytes, write: write, kmodLoaded: helper != nil)
        out.append(
            MethodVerdict(
                method: "auto", works: out.first { $0.method == auto.rawValue }?.works ?? false,
                reasons: ["would choose \(auto.rawValue): \(why)"]))
        return out
    }

    /// Bytes of memory pinning `spec` by `method` faults in that are not there yet: none for
    /// read faults of private anonymous memory (they map the zero page), none for hugetlb
    /// (its own reserved pool: mmap refuses when short), none for file: unless the method
    /// locks the page cache (mlock, kmod), the unallocated part of an existing shm object.
    /// `fileBytes`: for file:, the bytes the memory check was made for (`describe`'s), so
    /// that the file is not stat'ed again to a size nobody checked.
    static func newMemory(_ spec: PinRangeSpec, method: PinMethod, write: Bool, uffdZeroFill: Bool, fileBytes checked: UInt64? = nil)
        -> UInt64
    {
        switch spec {
        case .anon(let size, _, let hugetlb, _):
            if hugetlb { return 0 }
            let readOnlyFaults = !write && (method == .populate || (method == .uffd && uffdZeroFill))
            return readOnlyFaults ? 0 : size
        case .memfd(let size): return size
        case .shm(let name, let size):
            guard let st = try? FileDescriptor.stat("\(ShmObject.directory)/\(name)", flags: AT_SYMLINK_NOFOLLOW),
                st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid()
            else {
                return size
            }
            let allocated = UInt64(st.st_blocks).multipliedReportingOverflow(by: 512).partialValue
            return size > allocated ? size - allocated : 0
        case .file(let path, let offset, let len):
            // Page cache is reclaimable until locked: only methods that hold pages need it all
            // resident at once (MemAvailable already counts what of it is cached).
            guard method == .mlock || method == .kmod else { return 0 }
            if let checked { return checked }
            guard let st = try? FileDescriptor.stat(path, flags: 0) else { return 0 }
            return fileBytes(st, offset: offset, length: len)
        }
    }

    /// The bytes of a file: range that get mapped: +LEN trimmed to the file's last page
    /// (as MappedRange trims it), none when @OFFSET is past the end.
    static func fileBytes(_ st: stat, offset: UInt64, length: UInt64?) -> UInt64 {
        let size = roundUp(UInt64(st.st_size), to: PagemapReader.pageSize) ?? UInt64(st.st_size)
        let left = size > offset ? size - offset : 0
        return min(length ?? left, left)
    }

    static func describe(_ spec: PinRangeSpec) throws(PinctlError) -> (MappedRange.Backing, UInt64) {
        switch spec {
        case .anon(let s, let thp, let hugetlb, _): return (hugetlb ? .hugetlb : thp ? .thp : .anonymous, s)
        case .memfd(let s), .shm(_, let s): return (.shmem, s)
        case .file(let path, let offset, let len):
            let st: stat
            do throws(SyscallError) { st = try FileDescriptor.stat(path, flags: 0) } catch {
                throw .invalidInput("\(path): \(error.errnoName): give an existing file to pin")
            }
            guard st.st_mode & S_IFMT == S_IFREG else {
                throw .invalidInput("\(path) is \(RegularFile.typeName(st.st_mode)), not a regular file: file: pins a regular file's bytes")
            }
            return (.file, fileBytes(st, offset: offset, length: len))
        }
    }

    static func freeHugePages() -> UInt64? {
        guard let t = try? readProcText("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") else { return nil }
        return NumberParsing.parseUInt64(Substring(t).trimmingSpaces().split(separator: "\n").first ?? "")
    }

    /// Why userfaultfd cannot be opened here, or nil: tries the syscall (plain, then
    /// UFFD_USER_MODE_ONLY, which unprivileged users may use since 5.11) and /dev/userfaultfd.
    static func userfaultfdUnavailableReason() -> String? {
        for flags in [O_CLOEXEC, O_CLOEXEC | CPINCTL_UFFD_USER_MODE_ONLY] {
            let fd = cpinctl_userfaultfd(flags)
            if fd >= 0 {
                FileDescriptor(raw: fd, path: "userfaultfd").close()
                return nil
            }
        }
        if access("/dev/userfaultfd", R_OK | W_OK) == 0 { return nil }
        return "userfaultfd refused: set vm.unprivileged_userfaultfd=1, grant CAP_SYS_PTRACE, or give access to /dev/userfaultfd"
    }
}

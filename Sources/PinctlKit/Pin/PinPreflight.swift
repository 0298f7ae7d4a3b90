import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `pin --dry-run`: for each method, whether it would work on this range and why not,
/// without mapping or pinning anything.
public enum PinPreflight {
    public static func check(_ spec: PinRangeSpec, write: Bool) throws(PinctlError) -> [MethodVerdict] {
        let (backing, bytes) = try describe(spec)
        var out: [MethodVerdict] = []
        var common: [String] = []
        if case .file(let path, _, _) = spec, write, access(path, W_OK) != 0 {
            common.append("\(path) is not writable by this user: --write needs it writable")
        }
        if backing == .hugetlb, let free = freeHugePages(), free * PinRangeSpec.hugeSize < bytes {
            common.append("only \(free) free 2 MiB hugetlb pages for \(humanBytes(bytes)): raise vm.nr_hugepages")
        }
        out.append(
            MethodVerdict(method: "populate", works: common.isEmpty, reasons: common.isEmpty ? ["faults pages in; pins nothing"] : common))

        var mlock = common
        if !ProcessLimits.memlockAllows(bytes) { mlock.append(ProcessLimits.memlockAdvice("mlock", bytes: bytes)) }
        out.append(
            MethodVerdict(method: "mlock", works: mlock.isEmpty, reasons: mlock.isEmpty ? ["resident and unevictable, but movable"] : mlock)
        )

        var uring = common
        if backing == .file { uring.append("io_uring cannot long-term pin file-backed page cache (EOPNOTSUPP on 6.1, EFAULT on 6.18)") }
        if !ProcessLimits.memlockAllows(bytes) { uring.append(ProcessLimits.memlockAdvice("io_uring buffer registration", bytes: bytes)) }
        if let why = IoUringPin.unavailableReason() { uring.append(why) }
        if bytes > IoUringPin.maxBuffer * IoUringPin.maxBuffers { uring.append("more than 16384 buffers of 1 GiB") }
        out.append(
            MethodVerdict(
                method: "iouring", works: uring.isEmpty, reasons: uring.isEmpty ? ["long-term FOLL_PIN: pages stay in place"] : uring))

        var uffd = common
        if backing == .file {
            uffd.append("userfaultfd cannot populate a regular file's page cache (MISSING mode is anon, shmem and hugetlb only)")
        }
        if let why = userfaultfdUnavailableReason() { uffd.append(why) }
        out.append(
            MethodVerdict(
                method: "uffd", works: uffd.isEmpty,
                reasons: uffd.isEmpty ? ["populated by UFFDIO_ZEROPAGE/COPY; faults served by pinctl"] : uffd))

        var kmod = common
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

    static func describe(_ spec: PinRangeSpec) throws(PinctlError) -> (MappedRange.Backing, UInt64) {
        switch spec {
        case .anon(let s, let thp, let hugetlb, _): return (hugetlb ? .hugetlb : thp ? .thp : .anonymous, s)
        case .memfd(let s), .shm(_, let s): return (.shmem, s)
        case .file(let path, let offset, let len):
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw .invalidInput("\(path): \(SyscallError.name(of: errno)): give an existing file to pin")
            }
            let size = roundUp(UInt64(st.st_size), to: PagemapReader.pageSize) ?? UInt64(st.st_size)
            return (.file, len ?? (size > offset ? size - offset : 0))
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
                close(fd)
                return nil
            }
        }
        if access("/dev/userfaultfd", R_OK | W_OK) == 0 { return nil }
        return "userfaultfd refused: set vm.unprivileged_userfaultfd=1, grant CAP_SYS_PTRACE, or give access to /dev/userfaultfd"
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// What `pin --method uffd` puts in the pages it installs.
public enum UffdFill: Equatable, Sendable {
    /// Zeros (no --fill).
    case zero
    /// Every byte this value (--fill BYTE).
    case byte(UInt8)
    /// The file's bytes from its offset 0, zeros past its end (--fill-from FILE).
    case file(String)
}

/// userfaultfd: the range is registered for MISSING faults (and WP ones with --watch-writes),
/// filled in bulk with UFFDIO_ZEROPAGE or UFFDIO_COPY, and any fault that beats the bulk fill
/// is served by a handler thread. The pages are ordinary anonymous or shmem pages afterwards:
/// like mlock, nothing stops migration; what uffd adds is that every page was installed, and
/// with --watch-writes every first write is seen, by pinctl.
public final class UffdPin: Pinner {
    public let method = PinMethod.uffd
    /// Installed by pinctl, but not pinned: reclaim and migration still apply.
    public let holdsPages = false
    public let fill: UffdFill
    public let watchWrites: Bool
    public private(set) var detail = ""
    /// Every page of an anonymous range maps the one shared zero page (UFFDIO_ZEROPAGE
    /// without --write): resident, but with no PFNs of its own to report.
    public private(set) var mapsSharedZeroPage = false

    /// Page faults the handler thread resolved: missing pages it filled and write faults it let through.
    public var faultsServed: UInt64 { handler?.served ?? servedBeforeRelease }
    /// Pages whose first write was reported to `onWriteFault` (each page once).
    public var writeFaults: UInt64 { handler?.writes ?? writesBeforeRelease }
    /// The first fault the handler could not serve (the faulting thread was woken to retry).
    public var handlerError: SyscallError? { handler?.firstError ?? handlerErrorBeforeRelease }

    private let onWriteFault: @Sendable (UInt64, UInt32) -> Void
    private var uffd: FileDescriptor?
    private var registered: (start: UInt64, length: UInt64)?
    private var handler: UffdFaultHandler?
    private var servedBeforeRelease: UInt64 = 0
    private var writesBeforeRelease: UInt64 = 0
    private var handlerErrorBeforeRelease: SyscallError?

    /// The ways to get a userfaultfd, tried in order; tests force one.
    var openOrder = UffdOpenPath.allCases
    /// Runs before each bulk step with the step's offset in the range; tests fault pages here.
    var beforeStep: ((UInt64) -> Void)?

    static let step: UInt64 = 2 << 20

    /// `onWriteFault(pageAddress, threadID)` runs on the handler thread, before the writer
    /// resumes; the thread ID is the writer's (UFFD_FEATURE_THREAD_ID). It must not touch the range.
    public init(fill: UffdFill, watchWrites: Bool, onWriteFault: @escaping @Sendable (UInt64, UInt32) -> Void = { _, _ in }) {
        self.fill = fill
        self.watchWrites = watchWrites
        self.onWriteFault = onWriteFault
    }

    public func pin(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        release()
        detail = ""
        (servedBeforeRelease, writesBeforeRelease, handlerErrorBeforeRelease) = (0, 0, nil)
        do throws(PinctlError) {
            try register(range)
            try populate(range, write: write, progress: progress)
        } catch {
            release()
            throw error
        }
    }

    public func release() {
        if let h = handler {
            h.stop()
            servedBeforeRelease = h.served
            writesBeforeRelease = h.writes
            handlerErrorBeforeRelease = h.firstError
        }
        handler = nil
        // Unregistering wakes any thread still waiting on a fault in the range; it then
        // faults as if userfaultfd had never been there. Closing the fd would do the same.
        if let fd = uffd, let r = registered { try? UffdCalls.unregister(fd.raw, r.start, r.length) }
        registered = nil
        uffd = nil
        fillFile = nil
    }

    deinit { release() }

    // MARK: - Setting up

    private var openedVia = UffdOpenPath.syscall
    private var rangeIoctls: UInt64 = 0
    private var fillFile: (fd: FileDescriptor, size: UInt64)?

    private func register(_ range: MappedRange) throws(PinctlError) {
        if range.isFileBacked {
            throw .refused(
                "\(range.spec): userfaultfd cannot fill a regular file's page cache (MISSING registration is for anonymous, shmem and hugetlb memory; the kernel answers EINVAL): use --method mlock, or a memfd:/shm: range"
            )
        }
        fillFile = try Self.openFillFile(fill)
        let (fd, via) = try Self.open(trying: openOrder)
        uffd = fd
        openedVia = via
        try negotiate(fd.raw, range)
        var mode = UffdABI.registerMissing
        if watchWrites { mode |= UffdABI.registerWP }
        do throws(SyscallError) {
            rangeIoctls = try UffdCalls.register(fd.raw, range.base, range.length, mode: mode)
        } catch {
            switch error.errno {
            case EINVAL:
                throw .refused(
                    "\(range.spec): userfaultfd refused to register the mapping\(watchWrites ? " for MISSING and WP faults" : "") (EINVAL): this kernel cannot track \(range.backing.rawValue) memory\(watchWrites ? " for writes: drop --watch-writes or" : ":") use --method mlock"
                )
            case EBUSY:
                throw .refused("\(range.spec): the range is already registered with another userfaultfd (EBUSY)")
            case EPERM:
                throw .refused("\(range.spec): userfaultfd refused to register the mapping (EPERM): it is not writable")
            default:
                throw .system(error)
            }
        }
        registered = (range.base, range.length)
        if watchWrites && rangeIoctls & UffdABI.ioctlWriteprotect == 0 {
            throw .refused(
                "\(range.spec): UFFDIO_WRITEPROTECT is not available on \(range.backing.rawValue) memory on this kernel: drop --watch-writes"
            )
        }
    }

    /// Opens the --fill-from file, or nil for the other fills.
    static func openFillFile(_ fill: UffdFill) throws(PinctlError) -> (fd: FileDescriptor, size: UInt64)? {
        guard case .file(let path) = fill else { return nil }
        // Never a FIFO or device: RegularFile checks the type before opening anything.
        let opened: RegularFile.Opened
        do throws(PinctlError) { opened = try RegularFile.open(path, writable: false, purpose: "--fill-from copies") } catch {
            throw FileLease.refusal(error, path: path, writing: false)
        }
        return (opened.fd, UInt64(opened.stat.st_size))
    }

    /// userfaultfd(2), then with UFFD_USER_MODE_ONLY (allowed to anyone since 5.11), then
    /// /dev/userfaultfd (6.1+, allowed by its permissions: the way in when seccomp blocks the syscall).
    static func open(trying paths: [UffdOpenPath]) throws(PinctlError) -> (FileDescriptor, UffdOpenPath) {
        var refusals: [String] = []
        let flags = O_CLOEXEC | O_NONBLOCK
        for path in paths {
            let fd: Int32
            let err: Int32
            let call: String
            switch path {
            case .syscall, .userModeOnly:
                fd = cpinctl_userfaultfd(path == .syscall ? flags : flags | CPINCTL_UFFD_USER_MODE_ONLY)
                err = errno
                call = "userfaultfd"
            case .device:
                do throws(SyscallError) {
                    let dev = try FileDescriptor.open("/dev/userfaultfd", flags: O_RDWR)
                    fd = cpinctl_userfaultfd_dev_new(dev.raw, flags)
                    err = errno
                    call = "ioctl(USERFAULTFD_IOC_NEW)"
                    dev.close()
                } catch {
                    fd = -1
                    err = error.errno
                    call = "open"
                }
            }
            if fd >= 0 { return (FileDescriptor(raw: fd, path: "userfaultfd"), path) }
            switch err {
            // Refusals, and kernels without this way in: try the next.
            case EPERM, EACCES, ENOENT, ENOSYS, EINVAL, ENOTTY, ENODEV, ENXIO:
                refusals.append("\(path.rawValue): \(SyscallError.name(of: err))")
            default:
                throw .system(SyscallError(call: call, object: path.rawValue, errno: err))
            }
        }
        throw .refused(
            "userfaultfd refused (\(refusals.joined(separator: "; "))): allow it with `sysctl vm.unprivileged_userfaultfd=1`, grant CAP_SYS_PTRACE, or give this user read-write access to /dev/userfaultfd (a container's seccomp filter may block the syscall); or use --method mlock"
        )
    }

    /// UFFDIO_API with the features this range and --watch-writes need.
    private func negotiate(_ fd: Int32, _ range: MappedRange) throws(PinctlError) {
        var wanted: UInt64 = 0
        switch range.backing {
        case .shmem: wanted |= UffdABI.featureMissingShmem
        case .hugetlb: wanted |= UffdABI.featureMissingHugetlbfs
        case .anonymous, .thp, .file: break
        }
        if watchWrites {
            wanted |= UffdABI.featurePagefaultFlagWP | UffdABI.featureThreadID
            if range.backing == .shmem || range.backing == .hugetlb { wanted |= UffdABI.featureWPHugetlbfsShmem }
        }
        do throws(SyscallError) {
            _ = try UffdCalls.api(fd, features: wanted)
        } catch {
            guard error.errno == EINVAL else { throw .system(error) }
            // A feature the kernel lacks: ask a fresh fd what it has, to name the missing ones.
            let supported = (try? Self.open(trying: [openedVia])).flatMap { (probe, _) in try? UffdCalls.api(probe.raw, features: 0) }
            let lacking = UffdABI.featureNames.filter { f in wanted & f.bit != 0 && (supported.map { $0 & f.bit == 0 } ?? true) }
            guard !lacking.isEmpty else { throw .system(error) }
            let names = (supported == nil && lacking.count > 1 ? "one of " : "") + lacking.map(\.name).joined(separator: ", ")
            throw .refused(
                "\(range.spec): this kernel's userfaultfd lacks \(names) (UFFDIO_API: EINVAL): \(watchWrites ? "drop --watch-writes or " : "")use --method mlock"
            )
        }
    }

    // MARK: - Filling

    private func populate(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        guard let fd = uffd else { return }
        let anonymous = range.backing == .anonymous || range.backing == .thp
        // UFFDIO_ZEROPAGE maps the shared zero page into anonymous memory: every page then has
        // the zero page's PFN, and a write replaces it. --write asks for pages of its own.
        let zeropage = fill == .zero && rangeIoctls & UffdABI.ioctlZeropage != 0 && !(write && anonymous)
        let granule = range.backing == .hugetlb ? PinRangeSpec.hugeSize : PagemapReader.pageSize
        let filler = UffdFiller(
            uffd: fd, base: range.base, length: range.length, granule: granule, zeropage: zeropage, fill: fill, file: fillFile)
        let h: UffdFaultHandler
        let bulk: UffdFiller.Buffer?
        do throws(SyscallError) {
            bulk = try filler.makeBuffer(size: Self.step)
            h = try UffdFaultHandler(filler: filler, onWriteFault: onWriteFault)
            handler = h
            try h.start()
        } catch {
            throw .system(error)
        }
        var present: UInt64 = 0
        try progress.forEachStep(Self.step) { (off, len) throws(PinctlError) in
            beforeStep?(off)
            do throws(SyscallError) {
                if let bulk { try filler.load(bulk, rangeOffset: off, length: len) }
                let skipped = try filler.fill(range.base + off, len, from: bulk, dontWake: false)
                present += skipped
                // A shmem page that already existed (a served fault, or an existing shm object's
                // data) is in the page cache but perhaps not in this mapping's page tables.
                if skipped > 0 && range.backing == .shmem {
                    let advice = write ? CPINCTL_MADV_POPULATE_WRITE : CPINCTL_MADV_POPULATE_READ
                    try MemorySyscalls.madvise(range.base + off, len, advice, name: write ? "MADV_POPULATE_WRITE" : "MADV_POPULATE_READ")
                }
            } catch {
                switch error.errno {
                case ENOMEM where range.backing == .hugetlb:
                    throw .refused("\(range.spec): out of hugetlb pages while filling (ENOMEM): raise vm.nr_hugepages")
                default:
                    throw .system(error)
                }
            }
        }
        if watchWrites {
            do throws(SyscallError) {
                try UffdCalls.writeprotect(fd.raw, range.base, range.length, protect: true)
            } catch {
                throw .system(error)
            }
        }
        mapsSharedZeroPage = zeropage && anonymous && present == 0
        detail = describe(range, write: write, zeropage: zeropage, present: present)
    }

    private func describe(_ range: MappedRange, write: Bool, zeropage: Bool, present: UInt64) -> String {
        let pageBytes = range.backing == .hugetlb ? PinRangeSpec.hugeSize : PagemapReader.pageSize
        let how: String
        if zeropage {
            how =
                range.backing == .shmem
                ? "UFFDIO_ZEROPAGE (zeroed shmem pages)"
                : "UFFDIO_ZEROPAGE (the shared zero page until written: pass --write for pages of their own)"
        } else {
            switch fill {
            case .zero: how = "UFFDIO_COPY of zeros"
            case .byte(let b): how = "UFFDIO_COPY of 0x\(b < 0x10 ? "0" : "")\(String(b, radix: 16, uppercase: true))"
            case .file(let path): how = "UFFDIO_COPY from \(path)"
            }
        }
        var parts = [
            openedVia.rawValue,
            "registered MISSING\(watchWrites ? "+WP" : "")",
            "\(range.length / pageBytes) pages of \(humanBytes(pageBytes)) filled by \(how) in \(humanBytes(Self.step)) ioctls",
        ]
        if present > 0 {
            parts.append("\(present / pageBytes) already present and kept (a fault served first, or an existing shm object's data)")
        }
        if write && !zeropage { parts.append("--write adds nothing: the fill writes every page") }
        if watchWrites { parts.append("write-protected: first writes reported") }
        if openedVia == .userModeOnly { parts.append("user faults only: a kernel access to a missing page fails with EFAULT") }
        return parts.joined(separator: "; ")
    }
}

/// How the userfaultfd was obtained.
enum UffdOpenPath: String, CaseIterable, Sendable {
    case syscall = "userfaultfd(2)"
    case userModeOnly = "userfaultfd(2) with UFFD_USER_MODE_ONLY"
    case device = "/dev/userfaultfd"
}

/// <linux/userfaultfd.h> values Swift cannot import: the header writes them as casts and shifts.
enum UffdABI {
    static let api: UInt64 = 0xAA  // UFFD_API
    static let registerMissing: UInt64 = 1 << 0  // UFFDIO_REGISTER_MODE_MISSING
    static let registerWP: UInt64 = 1 << 1  // UFFDIO_REGISTER_MODE_WP
    static let dontWake: UInt64 = 1 << 0  // UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_ZEROPAGE_MODE_DONTWAKE
    static let writeprotectWP: UInt64 = 1 << 0  // UFFDIO_WRITEPROTECT_MODE_WP
    static let eventPagefault: UInt8 = 0x12  // UFFD_EVENT_PAGEFAULT
    static let pagefaultWrite: UInt64 = 1 << 0  // UFFD_PAGEFAULT_FLAG_WRITE
    static let pagefaultWP: UInt64 = 1 << 1  // UFFD_PAGEFAULT_FLAG_WP
    static let featurePagefaultFlagWP: UInt64 = 1 << 0  // UFFD_FEATURE_PAGEFAULT_FLAG_WP
    static let featureMissingHugetlbfs: UInt64 = 1 << 4  // UFFD_FEATURE_MISSING_HUGETLBFS
    static let featureMissingShmem: UInt64 = 1 << 5  // UFFD_FEATURE_MISSING_SHMEM
    static let featureThreadID: UInt64 = 1 << 8  // UFFD_FEATURE_THREAD_ID
    static let featureWPHugetlbfsShmem: UInt64 = 1 << 12  // UFFD_FEATURE_WP_HUGETLBFS_SHMEM
    /// Bits of uffdio_register.ioctls: 1 << _UFFDIO_ZEROPAGE (0x04), 1 << _UFFDIO_WRITEPROTECT (0x06).
    static let ioctlZeropage: UInt64 = 1 << 0x04
    static let ioctlWriteprotect: UInt64 = 1 << 0x06

    static let featureNames: [(bit: UInt64, name: String)] = [
        (featurePagefaultFlagWP, "UFFD_FEATURE_PAGEFAULT_FLAG_WP"),
        (featureMissingHugetlbfs, "UFFD_FEATURE_MISSING_HUGETLBFS"),
        (featureMissingShmem, "UFFD_FEATURE_MISSING_SHMEM"),
        (featureThreadID, "UFFD_FEATURE_THREAD_ID"),
        (featureWPHugetlbfsShmem, "UFFD_FEATURE_WP_HUGETLBFS_SHMEM"),
    ]
}

/// One thin wrapper per userfaultfd ioctl, each throwing a SyscallError that names it.
enum UffdCalls {
    /// What one UFFDIO_COPY or UFFDIO_ZEROPAGE did: the bytes filled from the start of the
    /// range, and the error that stopped it short (EAGAIN after partial progress, EEXIST when
    /// the first page was already there).
    struct Outcome {
        var filled: UInt64
        var error: SyscallError?
    }

    static func fail(_ call: String, _ start: UInt64, _ len: UInt64) -> SyscallError {
        let err = errno
        return SyscallError(call: "ioctl(\(call))", object: MemorySyscalls.describe(start, len), errno: err)
    }

    /// UFFDIO_API; returns the features the kernel supports.
    static func api(_ fd: Int32, features: UInt64) throws(SyscallError) -> UInt64 {
        var a = uffdio_api(api: UffdABI.api, features: features, ioctls: 0)
        guard cpinctl_uffdio_api(fd, &a) == 0 else {
            let err = errno
            throw SyscallError(call: "ioctl(UFFDIO_API)", object: "features \(hex(features))", errno: err)
        }
        return a.features
    }

    /// UFFDIO_REGISTER; returns the range ioctls the mapping supports (a bit per _UFFDIO_*).
    static func register(_ fd: Int32, _ start: UInt64, _ len: UInt64, mode: UInt64) throws(SyscallError) -> UInt64 {
        var r = uffdio_register(range: uffdio_range(start: start, len: len), mode: mode, ioctls: 0)
        guard cpinctl_uffdio_register(fd, &r) == 0 else { throw fail("UFFDIO_REGISTER", start, len) }
        return r.ioctls
    }

    static func unregister(_ fd: Int32, _ start: UInt64, _ len: UInt64) throws(SyscallError) {
        var r = uffdio_range(start: start, len: len)
        guard cpinctl_uffdio_unregister(fd, &r) == 0 else { throw fail("UFFDIO_UNREGISTER", start, len) }
    }

    static func wake(_ fd: Int32, _ start: UInt64, _ len: UInt64) throws(SyscallError) {
        var r = uffdio_range(start: start, len: len)
        guard cpinctl_uffdio_wake(fd, &r) == 0 else { throw fail("UFFDIO_WAKE", start, len) }
    }

    /// UFFDIO_WRITEPROTECT: sets write protection, or clears it and wakes the waiting writers.
    static func writeprotect(_ fd: Int32, _ start: UInt64, _ len: UInt64, protect: Bool) throws(SyscallError) {
        var w = uffdio_writeprotect(range: uffdio_range(start: start, len: len), mode: protect ? UffdABI.writeprotectWP : 0)
        while true {
            do throws(SyscallError) {
                _ = try systemCall("ioctl(UFFDIO_WRITEPROTECT)", MemorySyscalls.describe(start, len)) {
                    cpinctl_uffdio_writeprotect(fd, &w)
                }
                return
            } catch  where error.errno == EAGAIN {
                // The address space was changing (a non-cooperative event); try again.
            }
        }
    }

    static func copy(_ fd: Int32, dst: UInt64, src: UInt64, len: UInt64, dontWake: Bool) -> Outcome {
        var c = uffdio_copy(dst: dst, src: src, len: len, mode: dontWake ? UffdABI.dontWake : 0, copy: 0)
        do throws(SyscallError) {
            // Interruptible: a restart would redo bytes the kernel already copied.
            _ = try interruptibleSystemCall("ioctl(UFFDIO_COPY)", MemorySyscalls.describe(dst, len)) { cpinctl_uffdio_copy(fd, &c) }
            return Outcome(filled: len, error: nil)
        } catch {
            return Outcome(filled: c.copy > 0 ? UInt64(c.copy) : 0, error: error)
        }
    }

    static func zeropage(_ fd: Int32, dst: UInt64, len: UInt64, dontWake: Bool) -> Outcome {
        var z = uffdio_zeropage(range: uffdio_range(start: dst, len: len), mode: dontWake ? UffdABI.dontWake : 0, zeropage: 0)
        do throws(SyscallError) {
            // Interruptible, as UFFDIO_COPY: the kernel reports the bytes it filled.
            _ = try interruptibleSystemCall("ioctl(UFFDIO_ZEROPAGE)", MemorySyscalls.describe(dst, len)) {
                cpinctl_uffdio_zeropage(fd, &z)
            }
            return Outcome(filled: len, error: nil)
        } catch {
            return Outcome(filled: z.zeropage > 0 ? UInt64(z.zeropage) : 0, error: error)
        }
    }
}

/// Installs the fill into missing pages of the registered range, for the bulk fill and for
/// the handler thread alike. Each thread that fills brings its own `Buffer`.
final class UffdFiller: @unchecked Sendable {
    // Immutable after init; the file is read with pread, which is safe from two threads.
    let uffd: FileDescriptor
    let base: UInt64
    let length: UInt64
    /// The unit the kernel fills: a page, or a huge page for hugetlb.
    let granule: UInt64
    let zeropage: Bool
    let fill: UffdFill
    let file: (fd: FileDescriptor, size: UInt64)?

    init(
        uffd: FileDescriptor, base: UInt64, length: UInt64, granule: UInt64, zeropage: Bool, fill: UffdFill,
        file: (fd: FileDescriptor, size: UInt64)?
    ) {
        self.uffd = uffd
        self.base = base
        self.length = length
        self.granule = granule
        self.zeropage = zeropage
        self.fill = fill
        self.file = file
    }

    /// UFFDIO_COPY's source: page-aligned private memory holding the fill.
    final class Buffer {
        let address: UInt64
        let size: UInt64
        /// What the buffer holds past the file data, so zeros are not rewritten every step.
        var zeroFrom: UInt64

        init(size: UInt64, byte: UInt8) throws(SyscallError) {
            address = try MemorySyscalls.mmap(length: size, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS)
            self.size = size
            zeroFrom = 0
            if byte != 0 {
                memset(UnsafeMutableRawPointer(bitPattern: UInt(address))!, Int32(byte), Int(size))
                zeroFrom = size
            }
        }

        deinit { MemorySyscalls.munmap(address, size) }
    }

    /// A source buffer of `size` bytes, or nil when UFFDIO_ZEROPAGE needs none.
    func makeBuffer(size: UInt64) throws(SyscallError) -> Buffer? {
        if zeropage { return nil }
        if case .byte(let b) = fill { return try Buffer(size: size, byte: b) }
        return try Buffer(size: size, byte: 0)
    }

    /// Loads the file bytes for [rangeOffset, +length) of the range, zeros past the file's end.
    func load(_ buffer: Buffer, rangeOffset: UInt64, length: UInt64) throws(SyscallError) {
        guard let file, let p = UnsafeMutableRawPointer(bitPattern: UInt(buffer.address)) else { return }
        var got: UInt64 = 0
        if rangeOffset < file.size {
            got = UInt64(try file.fd.pread(into: p, count: Int(min(length, file.size - rangeOffset)), offset: rangeOffset))
        }
        if got < length && got < buffer.zeroFrom {
            memset(p + Int(got), 0, Int(min(length, buffer.zeroFrom) - got))
        }
        buffer.zeroFrom = got
    }

    /// Fills the missing pages of [dst, dst+len) from `buffer` (which holds the fill for dst
    /// onwards). A page already present (a fault was served first) makes the kernel stop with
    /// EEXIST; the rest of the span then goes a granule at a time, skipping pages that exist.
    /// Returns the bytes skipped.
    func fill(_ dst: UInt64, _ len: UInt64, from buffer: Buffer?, dontWake: Bool) throws(SyscallError) -> UInt64 {
        var pos: UInt64 = 0
        var skipped: UInt64 = 0
        var byGranule = false
        var retries = 0
        while pos < len {
            let chunk = byGranule ? granule : len - pos
            let out =
                if let buffer {
                    UffdCalls.copy(uffd.raw, dst: dst + pos, src: buffer.address + pos, len: chunk, dontWake: dontWake)
                } else {
                    UffdCalls.zeropage(uffd.raw, dst: dst + pos, len: chunk, dontWake: dontWake)
                }
            pos += out.filled
            guard let e = out.error else { continue }
            switch e.errno {
            case EEXIST:
                byGranule = true
                pos += granule
                skipped += granule
            case EAGAIN where out.filled > 0:
                // Stopped short at a page that exists: the next call reports it.
                continue
            case _ where e.errno == EAGAIN || e.interrupted:
                // The address space was changing, or a signal: no progress, try again a while.
                retries += 1
                if retries > 1000 { throw e }
            default:
                throw e
            }
        }
        return skipped
    }
}

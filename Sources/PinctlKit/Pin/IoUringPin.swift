import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// IORING_REGISTER_BUFFERS: the kernel takes FOLL_WRITE|FOLL_LONGTERM pins on every page
/// (io_uring/rsrc.c), charged to VmPin and, without CAP_IPC_LOCK, to the user's
/// RLIMIT_MEMLOCK. Each buffer is at most 1 GiB and a ring takes at most 16384.
public final class IoUringPin: Pinner {
    public let method = PinMethod.iouring
    public let holdsPages = true
    public private(set) var detail = ""
    private var ring: FileDescriptor?
    static let maxBuffer: UInt64 = 1 << 30
    static let maxBuffers: UInt64 = 16384

    public init() {}

    public func pin(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        if range.isFileBacked {
            throw .refused(
                "\(range.spec): io_uring refuses to long-term pin file-backed pages (EOPNOTSUPP on 6.1, EFAULT for shared mappings on 6.18): use --method mlock, or a memfd:/shm: range"
            )
        }
        let buffers = (range.length + Self.maxBuffer - 1) / Self.maxBuffer
        guard buffers <= Self.maxBuffers else {
            throw .invalidInput("\(range.spec): io_uring takes at most \(Self.maxBuffers) buffers of 1 GiB: pin at most 16 TiB")
        }
        try PopulatePin.populate(range, write: true, progress: progress)
        var params = io_uring_params()
        // The ring's own memory is charged too (6.18): a killed holder's may still be on its way back.
        var fd: Int32 = -1
        let setupFailed = ChargeRetry.run(transient: [ENOMEM, EAGAIN]) {
            fd = cpinctl_io_uring_setup(1, &params)
            return fd >= 0 ? nil : errno
        }
        if let setupFailed {
            let e = SyscallError(call: "io_uring_setup", object: "1 entry", errno: setupFailed)
            switch e.errno {
            case ENOSYS: throw .refused("io_uring is not built into this kernel (ENOSYS): use --method mlock")
            case EPERM: throw .refused("io_uring_setup refused (EPERM): kernel.io_uring_disabled is set: clear it or use --method mlock")
            case ENOMEM, EAGAIN:
                throw .refused(
                    "\(range.spec): io_uring_setup refused (\(e.errnoName)): the user's RLIMIT_MEMLOCK budget (which the ring's memory is charged to) is used up: raise it (`ulimit -l`), grant CAP_IPC_LOCK, or use --method mlock"
                )
            default: throw .system(e)
            }
        }
        ring = FileDescriptor(raw: fd, path: "io_uring")
        var iovs: [iovec] = []
        var off: UInt64 = 0
        while off < range.length {
            let len = min(Self.maxBuffer, range.length - off)
            iovs.append(iovec(iov_base: UnsafeMutableRawPointer(bitPattern: UInt(range.base + off)), iov_len: Int(len)))
            off += len
        }
        // ENOMEM is the RLIMIT_MEMLOCK charge: retried briefly, as a killed holder's comes back late.
        // (Not when the range alone is over the limit: no charge coming back would fit it.)
        let transient: Set<Int32> = ProcessLimits.memlockAllows(range.length) ? [ENOMEM, EAGAIN] : []
        let failed = ChargeRetry.run(transient: transient) {
            let rc = iovs.withUnsafeBufferPointer { cpinctl_io_uring_register_buffers(fd, $0.baseAddress, UInt32($0.count)) }
            return rc == 0 ? nil : errno
        }
        if let failed {
            let e = SyscallError(call: "io_uring_register(IORING_REGISTER_BUFFERS)", object: "\(range.spec)", errno: failed)
            release()
            switch e.errno {
            case ENOMEM where !ProcessLimits.memlockAllows(range.length):
                throw .refused(ProcessLimits.memlockAdvice("io_uring buffer registration", bytes: range.length))
            case ENOMEM:
                throw .refused(
                    "\(range.spec): io_uring buffer registration failed (ENOMEM): the user's RLIMIT_MEMLOCK budget is shared by every ring and process of the user; raise it (`ulimit -l`), or grant CAP_IPC_LOCK"
                )
            case EFAULT where !range.writable:
                throw .refused("\(range.spec): io_uring pins for write and the mapping is read-only (EFAULT)")
            case EFAULT, EOPNOTSUPP:
                throw .refused("\(range.spec): io_uring refused the range (\(e.errnoName)): it pins anonymous and shmem memory only")
            default:
                throw .system(e)
            }
        }
        detail = "\(iovs.count) registered buffer\(iovs.count == 1 ? "" : "s") of up to 1 GiB (FOLL_WRITE|FOLL_LONGTERM)"
    }

    /// Why io_uring cannot be used here, or nil when a ring can be set up.
    public static func unavailableReason() -> String? {
        var params = io_uring_params()
        let fd = cpinctl_io_uring_setup(1, &params)
        if fd >= 0 {
            FileDescriptor(raw: fd, path: "io_uring").close()
            return nil
        }
        let e = lastError("io_uring_setup", "1 entry")
        switch e.errno {
        case ENOSYS: return "io_uring is not built into this kernel (ENOSYS)"
        case EPERM: return "io_uring is disabled (kernel.io_uring_disabled, EPERM)"
        default: return "io_uring_setup failed (\(e.errnoName))"
        }
    }

    public func release() {
        guard let ring else { return }
        _ = cpinctl_io_uring_unregister_buffers(ring.raw)
        ring.close()
        self.ring = nil
    }

    deinit { release() }
}

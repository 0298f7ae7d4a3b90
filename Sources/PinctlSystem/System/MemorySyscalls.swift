import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Thin wrappers over the memory system calls `pin` uses; each throws a SyscallError
/// naming the call and the range.
public enum MemorySyscalls {
    package static func describe(_ addr: UInt64, _ len: UInt64) -> String { "\(hex(addr))+\(hex(len))" }

    public static func mmap(length: UInt64, prot: Int32, flags: Int32, fd: Int32 = -1, offset: UInt64 = 0) throws(SyscallError)
        -> UInt64
    {
        let p = Glibc.mmap(nil, Int(length), prot, flags, fd, off_t(Int64(bitPattern: offset)))
        if p == MAP_FAILED { throw lastError("mmap", "length \(hex(length))") }
        return UInt64(UInt(bitPattern: p))
    }

    public static func munmap(_ addr: UInt64, _ len: UInt64) {
        _ = Glibc.munmap(UnsafeMutableRawPointer(bitPattern: UInt(addr)), Int(len))
    }

    /// madvise(2); restarted when a signal interrupts it (MADV_POPULATE_*), EAGAIN returned.
    public static func madvise(_ addr: UInt64, _ len: UInt64, _ advice: Int32, name: String) throws(SyscallError) {
        _ = try systemCall("madvise(\(name))", describe(addr, len)) {
            Glibc.madvise(UnsafeMutableRawPointer(bitPattern: UInt(addr)), Int(len), advice)
        }
    }

    public static func mlock2(_ addr: UInt64, _ len: UInt64, onFault: Bool) throws(SyscallError) {
        let flags: UInt32 = onFault ? UInt32(CPINCTL_MLOCK_ONFAULT) : 0
        _ = try systemCall(onFault ? "mlock2(MLOCK_ONFAULT)" : "mlock2", describe(addr, len)) {
            cpinctl_mlock2(UnsafeRawPointer(bitPattern: UInt(addr)), Int(len), flags)
        }
    }

    public static func munlock(_ addr: UInt64, _ len: UInt64) {
        _ = Glibc.munlock(UnsafeRawPointer(bitPattern: UInt(addr)), Int(len))
    }
}

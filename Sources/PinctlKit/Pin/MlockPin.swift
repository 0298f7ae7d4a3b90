/// mlock2: keeps the range resident and unevictable. It does not stop migration or
/// compaction (Documentation/mm/unevictable-lru.rst), so the PFNs may still change.
public final class MlockPin: Pinner {
    public let method = PinMethod.mlock
    public let holdsPages = true
    public let onFault: Bool
    public private(set) var detail = ""
    private var locked: (UInt64, UInt64)?

    public init(onFault: Bool) { self.onFault = onFault }

    public func pin(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        // Fault in first, for write if asked, so mlock2 only has to lock resident pages.
        try PopulatePin.populate(range, write: write, progress: progress)
        do throws(SyscallError) {
            // EAGAIN/ENOMEM may be a charge still on its way back: retried briefly.
            var last: SyscallError?
            let transient: Set<Int32> = ProcessLimits.memlockAllows(range.length) ? [ENOMEM, EAGAIN] : []
            _ = ChargeRetry.run(transient: transient) {
                do throws(SyscallError) {
                    try MemorySyscalls.mlock2(range.base, range.length, onFault: onFault)
                    last = nil
                    return nil
                } catch {
                    last = error
                    return error.errno
                }
            }
            if let last { throw last }
        } catch {
            MemorySyscalls.munlock(range.base, range.length)
            switch error.errno {
            case ENOMEM, EPERM, EAGAIN:
                if !ProcessLimits.memlockAllows(range.length) {
                    throw .refused(ProcessLimits.memlockAdvice("mlock", bytes: range.length))
                }
                throw .refused("\(range.spec): mlock2 refused (\(error.errnoName)): \(error)")
            default:
                throw .system(error)
            }
        }
        locked = (range.base, range.length)
        detail = onFault ? "mlock2(MLOCK_ONFAULT) after populating" : "mlock2"
    }

    public func release() {
        if let (base, len) = locked { MemorySyscalls.munlock(base, len) }
        locked = nil
    }

    deinit { release() }
}

#if canImport(Glibc)
    import Glibc
#endif

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
        // mlock2 without MLOCK_ONFAULT faults the range in itself (populate_vma_page_range:
        // for write where the mapping is writable and private, which breaks COW as --write
        // asks), so one pass does it. A shared mapping is faulted for read only: --write
        // populates it for write first. MLOCK_ONFAULT faults nothing: populate first.
        let populateFirst = onFault || (write && range.backing != .anonymous && range.backing != .thp && range.backing != .hugetlb)
        if populateFirst { try PopulatePin.populate(range, write: write, progress: progress) }
        // In steps, so that a termination signal stops a long lock and progress shows; the
        // steps are 2 MiB multiples from a base THP ranges align, so no huge page is split.
        // Read once (it reads /proc/self/status), not per step.
        let transient: Set<Int32> = ProcessLimits.memlockAllows(range.length) ? [ENOMEM, EAGAIN] : []
        do {
            try progress.forEachStep(PopulatePin.step) { (off, len) throws(PinctlError) in
                try lock(range, at: off, length: len, transient: transient)
                locked = (range.base, off + len)
            }
        } catch {
            release()
            throw error
        }
        locked = (range.base, range.length)
        detail = onFault ? "mlock2(MLOCK_ONFAULT) after populating" : populateFirst ? "mlock2 after MADV_POPULATE_WRITE" : "mlock2"
    }

    /// One mlock2 call; EAGAIN/ENOMEM (`transient`) may be a charge still on its way back: retried briefly.
    private func lock(_ range: MappedRange, at off: UInt64, length len: UInt64, transient: Set<Int32>) throws(PinctlError) {
        var last: SyscallError?
        _ = ChargeRetry.run(transient: transient) {
            do throws(SyscallError) {
                try MemorySyscalls.mlock2(range.base + off, len, onFault: onFault)
                last = nil
                return nil
            } catch {
                last = error
                return error.errno
            }
        }
        guard let error = last else { return }
        MemorySyscalls.munlock(range.base + off, len)
        if let shrank = range.shrank() { throw shrank }
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

    public func release() {
        if let (base, len) = locked { MemorySyscalls.munlock(base, len) }
        locked = nil
    }

    deinit { release() }
}

#if canImport(Glibc)
    import Glibc
#endif

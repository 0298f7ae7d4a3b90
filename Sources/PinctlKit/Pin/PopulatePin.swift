import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// MADV_POPULATE_READ/WRITE: faults the range in and pins nothing. The baseline every
/// other method is compared with, and the first step of mlock and io_uring pins.
public final class PopulatePin: Pinner {
    public let method = PinMethod.populate
    public let holdsPages = false
    public private(set) var detail = ""
    static let step: UInt64 = 64 << 20

    public init() {}

    public func pin(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        try Self.populate(range, write: write, progress: progress)
        detail = write ? "MADV_POPULATE_WRITE" : "MADV_POPULATE_READ"
    }

    public func release() {}

    /// Faults every page of the range in, for write (breaking COW) or for read.
    static func populate(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        let advice = write ? CPINCTL_MADV_POPULATE_WRITE : CPINCTL_MADV_POPULATE_READ
        let name = write ? "MADV_POPULATE_WRITE" : "MADV_POPULATE_READ"
        try progress.forEachStep(step) { (off, len) throws(PinctlError) in
            do throws(SyscallError) {
                try MemorySyscalls.madvise(range.base + off, len, advice, name: name)
                return
            } catch {
                if error.errno == EFAULT || error.errno == ENOMEM, let shrank = range.shrank() { throw shrank }
                switch error.errno {
                case EINVAL where write && !range.writable:
                    throw .refused(
                        "\(range.spec): \(name) refused (EINVAL): the mapping is read-only: drop --write or open the file writable")
                case EINVAL:
                    throw .refused(
                        "\(range.spec): \(name) refused (EINVAL): the mapping cannot be populated (VM_IO/VM_PFNMAP, or a kernel before 5.14)"
                    )
                case EFAULT:
                    throw .refused("\(range.spec): \(name) failed (EFAULT): part of the range is past the end of the file")
                case ENOMEM where range.backing == .hugetlb:
                    throw .refused("\(range.spec): out of hugetlb pages while populating (ENOMEM): raise vm.nr_hugepages")
                case EHWPOISON:
                    throw .refused("\(range.spec): \(name) hit a hardware-poisoned page (EHWPOISON)")
                default:
                    throw .system(error)
                }
            }
        }
    }
}

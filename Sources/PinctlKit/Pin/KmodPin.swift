/// The KernelHelper module's pin_user_pages_fast (FOLL_LONGTERM by default): the kernel's
/// own pinning, as RDMA and VFIO use it, charged to VmPin against RLIMIT_MEMLOCK.
public final class KmodPin: Pinner {
    public let method = PinMethod.kmod
    public let holdsPages = true
    public private(set) var detail = ""
    let helper: KernelHelper
    let longterm: Bool
    private var handle: UInt64?

    public init(helper: KernelHelper, longterm: Bool) {
        self.helper = helper
        self.longterm = longterm
    }

    public func pin(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError) {
        try PopulatePin.populate(range, write: write, progress: progress)
        var flags: KernelPinFlags = [.fast]
        if write || range.writable && range.backing != .file { flags.insert(.write) }
        if longterm { flags.insert(.longterm) }
        let h: UInt64
        do {
            (h, _) = try helper.pin(addr: range.base, pages: range.pages, flags: flags)
        } catch {
            throw range.shrank() ?? error
        }
        handle = h
        let names = [flags.contains(.write) ? "FOLL_WRITE" : nil, flags.contains(.longterm) ? "FOLL_LONGTERM" : nil].compactMap { $0 }
        detail = "pin_user_pages_fast(\(names.isEmpty ? "0" : names.joined(separator: "|"))) by /dev/pinctl, handle \(h)"
    }

    public func release() {
        if let h = handle { _ = try? helper.unpin(handle: h) }
        handle = nil
    }

    deinit { release() }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// The PINCTL_FRAME_* bits of a frame: what the module read of its struct page. Unknown bits
/// stay in `rawValue` and are named "bitN".
public struct KernelFrameFlags: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// No online memmap: a hole, offline memory or device memory. Nothing else is set.
    public static let noPage = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_NOPAGE))
    /// folio_maybe_dma_pinned(): a FOLL_PIN is (probably) held on the folio.
    public static let dmaPinned = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_DMA_PINNED))
    public static let compound = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_COMPOUND))
    /// Not the first page of its folio.
    public static let tail = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_TAIL))
    public static let anon = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_ANON))
    public static let lru = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_LRU))
    public static let slab = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_SLAB))
    /// PG_reserved: memblock-reserved, never freed to the page allocator.
    public static let reserved = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_RESERVED))
    public static let hugetlb = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_HUGETLB))
    /// Free: in a block of the buddy allocator (kpageflags' BUDDY).
    public static let buddy = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_BUDDY))
    /// PageOffline(): logically offline (a balloon), its memmap present.
    public static let offline = KernelFrameFlags(rawValue: UInt32(PINCTL_FRAME_OFFLINE))

    static let names: [(KernelFrameFlags, String)] = [
        (.noPage, "nopage"), (.dmaPinned, "dma_pinned"), (.compound, "compound"), (.tail, "tail"), (.anon, "anon"),
        (.lru, "lru"), (.slab, "slab"), (.reserved, "reserved"), (.hugetlb, "hugetlb"), (.buddy, "buddy"),
        (.offline, "offline"),
    ]

    /// Every set bit by name, in bit order; unknown bits as bitN.
    public var names: [String] {
        var out: [String] = []
        var bits = rawValue
        while bits != 0 {
            let bit = KernelFrameFlags(rawValue: 1 << UInt32(bits.trailingZeroBitCount))
            out.append(Self.names.first { $0.0 == bit }?.1 ?? "bit\(bits.trailingZeroBitCount)")
            bits &= bits - 1
        }
        return out
    }

    public var description: String { names.isEmpty ? "-" : names.joined(separator: ",") }
}

/// One page frame as the module's QUERY_FRAMES read it, whoever maps it or none: a snapshot
/// read without a reference, as /proc/kpagecount and kpageflags read theirs.
public struct KernelFrameState: Codable, Sendable, Equatable {
    public var pfn: UInt64
    /// The folio's reference count (its head page's). A small page pinned once reads at least
    /// 1024 + 1 (GUP_PIN_COUNTING_BIAS plus the mapping).
    public var refcount: UInt32
    /// As /proc/kpagecount: the page's mappings plus its folio's whole-folio ones; 0 for slab,
    /// free and other typed pages.
    public var mapcount: UInt32
    public var flags: KernelFrameFlags
    /// The folio's order (0 for a small page).
    public var order: UInt32

    /// The frame has an online memmap (not a hole, offline or device memory).
    public var present: Bool { !flags.contains(.noPage) }
    public var dmaPinned: Bool { flags.contains(.dmaPinned) }
}

extension KernelHelper {
    /// Frames per QUERY_FRAMES call (the module's bound).
    public static let maxFramesPerQuery = 1 << 20

    /// The frames QUERY_FRAMES answers for are below this PFN: the kernel's max_pfn rounded up
    /// to a memory section, where /proc/kpageflags ends too.
    public func frameLimit() throws(PinctlError) -> UInt64 {
        try requireABI()
        try requireFeature(UInt64(PINCTL_FEAT_FRAMES), "frames", "QUERY_FRAMES (frame state by PFN)")
        var one = pinctl_frame()
        var q = pinctl_frames()
        q.first_pfn = 0
        q.nr_frames = 1
        let rc = withUnsafeMutablePointer(to: &one) { p -> Int32 in
            q.frames = UInt64(UInt(bitPattern: p))
            return cpinctl_kmod_query_frames(fd.raw, &q)
        }
        guard rc == 0 else {
            let e = fail("PINCTL_IOC_QUERY_FRAMES", "pfn 0+1")
            throw e.errno == EPERM ? frameError(e, firstPFN: 0, count: 1) : .system(e)
        }
        return q.max_pfn
    }

    /// Refcount, mapcount, order and state of `count` frames from `firstPFN` (holes and
    /// offline memory read `.noPage`). Needs a descriptor opened with CAP_SYS_ADMIN, as
    /// /proc/kpageflags; a range past the last frame (`frameLimit()`) is invalid input. The
    /// answer grows with `count`: a walk over all of memory asks a chunk at a time, with
    /// `queryFrames(firstPFN:count:into:)`.
    public func queryFrames(firstPFN: UInt64, count: Int) throws(PinctlError) -> [KernelFrameState] {
        var out: [KernelFrameState] = []
        try queryFrames(firstPFN: firstPFN, count: count, into: &out)
        return out
    }

    /// As `queryFrames(firstPFN:count:)`, into `out` (emptied first, its storage reused): a
    /// chunked walk holds one chunk's answers, not the range's.
    public func queryFrames(firstPFN: UInt64, count: Int, into out: inout [KernelFrameState]) throws(PinctlError) {
        try requireABI()
        try requireFeature(UInt64(PINCTL_FEAT_FRAMES), "frames", "QUERY_FRAMES (frame state by PFN)")
        guard count >= 1 else { throw .invalidInput("a frame query needs at least one frame (count \(count))") }
        guard firstPFN.addingReportingOverflow(UInt64(count)).overflow == false else {
            throw .invalidInput("PFN \(hex(firstPFN))+\(count) wraps past 2^64: ask for a smaller range")
        }
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(count)
        var buf = [pinctl_frame](repeating: pinctl_frame(), count: min(count, Self.maxFramesPerQuery))
        var done = 0
        while done < count {
            let n = min(Self.maxFramesPerQuery, count - done)
            var q = pinctl_frames()
            q.first_pfn = firstPFN + UInt64(done)
            q.nr_frames = UInt64(n)
            let rc = buf.withUnsafeMutableBufferPointer { b -> Int32 in
                q.frames = UInt64(UInt(bitPattern: b.baseAddress))
                return cpinctl_kmod_query_frames(fd.raw, &q)
            }
            guard rc == 0 else {
                throw frameError(fail("PINCTL_IOC_QUERY_FRAMES", "pfn \(hex(q.first_pfn))+\(n)"), firstPFN: firstPFN, count: count)
            }
            for f in buf.prefix(n) {
                out.append(
                    KernelFrameState(
                        pfn: f.pfn, refcount: f.refcount, mapcount: f.mapcount, flags: KernelFrameFlags(rawValue: f.flags),
                        order: f.order))
            }
            done += n
        }
    }

    /// A QUERY_FRAMES failure as the error the caller can act on.
    func frameError(_ e: SyscallError, firstPFN: UInt64, count: Int) -> PinctlError {
        switch e.errno {
        case EPERM:
            return .permissionDenied(
                "frame state by PFN needs a /dev/pinctl descriptor opened with CAP_SYS_ADMIN, as /proc/kpageflags does (EPERM): run as root"
            )
        case EINVAL:
            let limit = (try? frameLimit()).map { " (frames end at \(hex($0)))" } ?? ""
            return .invalidInput(
                "PFN range \(hex(firstPFN))+\(count) passes the last frame of physical memory\(limit): ask for frames below it")
        default:
            return .system(e)
        }
    }
}

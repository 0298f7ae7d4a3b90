/// One 64-bit entry of /proc/PID/pagemap (Documentation/admin-guide/mm/pagemap.rst).
public struct PagemapEntry: Equatable, Sendable {
    public let raw: UInt64
    public init(raw: UInt64) { self.raw = raw }

    public static let pfnMask: UInt64 = (1 << 55) - 1

    public var present: Bool { raw & (1 << 63) != 0 }
    /// Bit 62. A guard region sets it too, so test `guardRegion` first.
    public var swapBit: Bool { raw & (1 << 62) != 0 }
    public var swapped: Bool { swapBit && !guardRegion && !present }
    /// Bit 61: a file page, or shared anonymous memory.
    public var fileOrSharedAnon: Bool { raw & (1 << 61) != 0 }
    /// Bit 58 (6.15+): a MADV_GUARD_INSTALL guard page.
    public var guardRegion: Bool { raw & (1 << 58) != 0 }
    /// Bit 57.
    public var uffdWP: Bool { raw & (1 << 57) != 0 }
    /// Bit 56: the page is mapped by this process only.
    public var exclusive: Bool { raw & (1 << 56) != 0 }
    /// Bit 55.
    public var softDirty: Bool { raw & (1 << 55) != 0 }

    /// The PFN of a present page. 0 for a present page means the kernel hid it (the
    /// opener lacked CAP_SYS_ADMIN): see `pfnHidden`.
    public var pfn: UInt64? { present ? raw & Self.pfnMask : nil }
    public var swapType: UInt64? { swapped ? raw & 0x1f : nil }
    public var swapOffset: UInt64? { swapped ? (raw & Self.pfnMask) >> 5 : nil }
}

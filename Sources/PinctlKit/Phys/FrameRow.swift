/// One row of `pinctl phys`: a frame, or a run of contiguous frames with the same flags,
/// mapcount, memory cgroup and module state (as page-types -l lists ranges). Numbers only, so
/// a row costs no allocation; Render/ formats it straight into its buffer.
public struct FrameRow: Sendable, Equatable {
    public var pfn: UInt64
    public var count: UInt64
    /// Raw kpageflags.
    public var flags: UInt64
    public var mapcount: UInt64
    public var cgroup: UInt64
    public var refcount: UInt32
    public var holds: FrameHolds
    public var hasMapcount: Bool
    public var hasCgroup: Bool
    public var hasKernelState: Bool
    public var dmaPinned: Bool
}

/// A run of frames mapped by one process at contiguous addresses: `count` pages from
/// virtual `address` onto frames from `pfn`, in the VMA of `path`.
public struct OwnerRun: Sendable, Equatable {
    public var pid: Int32
    /// /proc/PID/comm as read (the renderers escape it), U+FFFD for bytes that are not
    /// UTF-8; `commBytes` then holds the exact bytes in hex, as a census row's does.
    public var comm: String
    public var commBytes: String? = nil
    public var address: UInt64
    public var pfn: UInt64
    public var count: UInt64
    /// The VMA's path ("" for anonymous memory; the renderers escape it); `pathBytes` as
    /// `commBytes`.
    public var path: String
    public var pathBytes: String? = nil
}

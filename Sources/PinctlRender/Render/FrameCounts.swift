/// What the kernel says about one frame beside its flags (kpagecount, kpagecgroup, the
/// module's refcount), the same in `inspect`'s page rows and `phys`'s frame rows: the two
/// tables write these columns and JSON members alike, so each is written once here.
protocol FrameCounts {
    var mapcount: UInt64 { get }
    var hasMapcount: Bool { get }
    var cgroup: UInt64 { get }
    var hasCgroup: Bool { get }
    var refcount: UInt32 { get }
    var dmaPinned: Bool { get }
    var hasKernelState: Bool { get }
}

extension PageRowFacts: FrameCounts {}
extension FrameRow: FrameCounts {}

extension OutputBuffer {
    /// The mapcount and memcg columns of a text row (`-` where unread).
    @inline(__always)
    mutating func countColumns<R: FrameCounts>(_ r: R) {
        decimal(r.mapcount, present: r.hasMapcount, width: 9)
        decimal(r.cgroup, present: r.hasCgroup, width: 8)
    }

    /// The end of a text row: the module's refcount and DMA pin, when it answered.
    @inline(__always)
    mutating func kernelStateAndNewline<R: FrameCounts>(_ r: R) {
        if r.hasKernelState {
            ascii(" refcount=")
            decimal(UInt64(r.refcount))
            if r.dmaPinned { ascii(" dma-pinned") }
        }
        byte(0x0a)
    }

    /// `,"mapcount":N,"memcg":N`, null where unread.
    @inline(__always)
    mutating func countMembers<R: FrameCounts>(_ r: R) {
        ascii(",\"mapcount\":")
        if r.hasMapcount { decimal(r.mapcount) } else { ascii("null") }
        ascii(",\"memcg\":")
        if r.hasCgroup { decimal(r.cgroup) } else { ascii("null") }
    }

    /// `,"refcount":N,"dmaPinned":B}` (null without the module), closing the row's object.
    @inline(__always)
    mutating func kernelStateMembersAndClose<R: FrameCounts>(_ r: R) {
        if r.hasKernelState {
            ascii(",\"refcount\":")
            decimal(UInt64(r.refcount))
            if r.dmaPinned { ascii(",\"dmaPinned\":true}") } else { ascii(",\"dmaPinned\":false}") }
        } else {
            ascii(",\"refcount\":null,\"dmaPinned\":null}")
        }
    }
}

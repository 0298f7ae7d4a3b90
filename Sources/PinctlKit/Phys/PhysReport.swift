/// What `pinctl phys` found: plain values, so text and JSON render the same data.
public struct PhysReport: Codable, Sendable {
    public var target: String
    public var kernel: String
    public var ranges: [FrameRange]
    /// With --map.
    public var map: PhysMap?
    /// The --flags expressions (ANDed), the --cgroup inode, and --unmovable.
    public var flags: [String]
    public var cgroup: UInt64?
    public var unmovableOnly: Bool
    /// The memory block size in bytes (nil without /sys/devices/system/memory).
    public var blockBytes: UInt64?
    public var blocks: [BlockReport]
    public var summary: FrameSummary
    /// With --owners.
    public var owners: OwnerTotals?
    public var pageTablesUnavailable: [String]
    /// Whether refcount and dmaPinned come from the KernelHelper module.
    public var kernelHelper: Bool
    public var notes: [String]

    /// 0 for a full report; 7 when the page flags were unreadable.
    public var exitStatus: Int32 { summary.flagsAvailable ? ExitStatus.ok : ExitStatus.pageFlagsUnavailable }
}

/// Frames [start, start+count), and where the range came from ("Node 0 Normal", "block 40").
public struct FrameRange: Codable, Sendable, Equatable {
    public var start: UInt64
    public var count: UInt64
    public var label: String
    public var end: UInt64 { start + count }
}

/// --owners' totals.
public struct OwnerTotals: Codable, Sendable {
    public var processes: UInt64
    public var skipped: UInt64
    public var processesOwning: UInt64
    public var framesSelected: UInt64
    /// Selected frames mapped by at least one process; the rest are kernel memory, page
    /// cache nobody maps, or free.
    public var framesMapped: UInt64
    public var mappings: UInt64
    public var usedPagemapScan: Bool
}

/// What is known before the frames are walked.
public struct PhysHead: Sendable {
    public var target: String
    public var kernel: String
    public var ranges: [FrameRange]

    package init(target: String, kernel: String, ranges: [FrameRange]) {
        self.target = target
        self.kernel = kernel
        self.ranges = ranges
    }
}

/// Where a streamed `phys` goes: the head, the rows a batch at a time, then (with --owners)
/// the owner runs a process at a time. The caller renders the rest from the report.
public protocol PhysSink: AnyObject {
    func begin(_ head: PhysHead) throws(PinctlError)
    /// Rows in PFN order; the buffer is reused once this returns.
    func rows(_ rows: UnsafeBufferPointer<FrameRow>) throws(PinctlError)
    func owners(_ runs: [OwnerRun]) throws(PinctlError)
}

/// A streaming renderer of `pinctl phys` to a descriptor: the head, rows and owner runs as
/// the walk produces them (`PhysSink`), then the rest of the report, or an error.
public protocol PhysWriter: PhysSink {
    func finish(_ report: PhysReport) throws(PinctlError)
    /// After a failure; returns whether stdout now carries the error.
    func fail(_ error: PinctlError) -> Bool
}

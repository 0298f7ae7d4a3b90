/// Totals over the frames `phys` walked: plain values, so text and JSON render the same data.
public struct FrameSummary: Codable, Sendable {
    /// Frames the target spans, and those the kernel's tables had (fewer past the end of memory).
    public var framesInRange: UInt64 = 0
    public var framesRead: UInt64 = 0
    /// Frames that passed --flags, --cgroup and --unmovable (all read frames without them).
    public var selected: UInt64 = 0
    public var bytesSelected: UInt64 { selected &* PagemapReader.pageSize }
    /// Selected frames per kpageflags name (inspect's names), for every bit seen.
    public var flagCounts: [String: UInt64] = [:]
    /// Selected frames per hold (`FrameHolds` names).
    public var holds: [String: UInt64] = [:]
    /// Selected frames that would keep their memory block from going offline.
    public var unmovable: UInt64 = 0
    /// Selected frames per distinct flag word, most frames first (page-types' summary).
    public var combinations: [FlagCombination] = []
    public var flagsAvailable = true

    public init() {}
}

/// One line of the flag-combination summary.
public struct FlagCombination: Codable, Sendable, Equatable {
    /// Raw kpageflags, as inspect's rows show it.
    public var kpageflags: String
    /// The same frames' word in `page-types -r`'s summary (overloaded bits moved to 47-51).
    public var pageTypesFlags: String
    public var pages: UInt64
    public var names: [String]
}

/// A memory block the target touched, with what keeps it from going offline.
public struct BlockReport: Codable, Sendable {
    public var block: MemoryBlock
    /// Selected frames in it, and the unmovable ones by hold.
    public var selected: UInt64
    public var unmovable: UInt64
    public var holds: [String: UInt64]
}

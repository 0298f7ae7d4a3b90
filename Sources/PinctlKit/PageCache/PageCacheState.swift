/// The page cache state of one file, in pages of `PagemapReader.pageSize`, as cachestat(2)
/// reports it, or as mincore(2) does where the kernel lacks cachestat (before 6.5): then only
/// `cached` is known, and the other counts are nil.
public struct PageCacheState: Equatable, Sendable {
    public var cached: UInt64
    public var dirty: UInt64?
    public var writeback: UInt64?
    /// Pages of the file that were evicted and whose shadow entries (mm/workingset.c) the
    /// kernel still keeps in the file's mapping.
    public var evicted: UInt64?
    /// Of those, evicted recently enough that reading them again would count as a refault.
    public var recentlyEvicted: UInt64?

    public init(cached: UInt64, dirty: UInt64? = nil, writeback: UInt64? = nil, evicted: UInt64? = nil, recentlyEvicted: UInt64? = nil) {
        self.cached = cached
        self.dirty = dirty
        self.writeback = writeback
        self.evicted = evicted
        self.recentlyEvicted = recentlyEvicted
    }
}

/// How the residency was read.
public enum PageCacheProbeMethod: String, Sendable, Codable {
    /// cachestat(2): counts straight from the page cache's xarray; nothing mapped.
    case cachestat
    /// mincore(2) on a PROT_READ shared mapping that is never touched, so nothing is faulted in.
    case mincore
}

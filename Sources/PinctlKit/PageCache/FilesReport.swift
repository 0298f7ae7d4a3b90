/// One regular file's page cache, as `pinctl files` reports it.
public struct FileResidency: Sendable {
    /// The path as the walk reached it (bytes: names need not be UTF-8).
    public var path: [UInt8]
    public var size: UInt64
    /// Pages the file's size spans (rounded up).
    public var pages: UInt64
    /// After `--evict`, the state once evicted.
    public var state: PageCacheState
    public var method: PageCacheProbeMethod
    /// `--evict` only.
    public var eviction: Eviction?

    public struct Eviction: Sendable {
        /// Cached pages before POSIX_FADV_DONTNEED.
        public var cachedBefore: UInt64
        /// Cached pages the kernel kept.
        public var stayed: UInt64
        /// Why they stayed, where it can be known (dirty, under writeback, mapped, locked).
        public var reasons: [String]
    }
}

/// The totals of a `pinctl files` run.
public struct FilesTotals: Sendable {
    public var files: UInt64 = 0
    public var directories: UInt64 = 0
    public var bytes: UInt64 = 0
    public var pages: UInt64 = 0
    public var cached: UInt64 = 0
    /// nil once any file was read with mincore (which has no such counts).
    public var dirty: UInt64? = 0
    public var writeback: UInt64? = 0
    public var evicted: UInt64? = 0
    public var recentlyEvicted: UInt64? = 0
    /// `--evict`: pages cached before, and pages that stayed.
    public var cachedBeforeEviction: UInt64?
    public var stayedAfterEviction: UInt64?
    /// Paths left out by a rule, by kind ("symlink", "special", ...).
    public var skipped: [String: UInt64] = [:]
    /// Paths that could not be examined.
    public var failed: UInt64 = 0
    public var method: PageCacheProbeMethod = .cachestat

    public init() {}

    /// Sums saturate: three sparse files of 2^63-1 bytes wrapped `bytes` modulo 2^64 to a
    /// small number; a total stuck at 2^64-1 is at least honest that it is that large.
    mutating func add(_ f: FileResidency) {
        files += 1
        bytes = Self.add(bytes, f.size)
        pages = Self.add(pages, f.pages)
        cached = Self.add(cached, f.state.cached)
        dirty = Self.sum(dirty, f.state.dirty)
        writeback = Self.sum(writeback, f.state.writeback)
        evicted = Self.sum(evicted, f.state.evicted)
        recentlyEvicted = Self.sum(recentlyEvicted, f.state.recentlyEvicted)
        if let e = f.eviction {
            cachedBeforeEviction = Self.add(cachedBeforeEviction ?? 0, e.cachedBefore)
            stayedAfterEviction = Self.add(stayedAfterEviction ?? 0, e.stayed)
        }
        if f.method == .mincore { method = .mincore }
    }

    static func sum(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
        guard let a, let b else { return nil }
        return add(a, b)
    }

    static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (r, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : r
    }

    public var skippedCount: UInt64 { skipped.values.reduce(0, &+) }
}

/// Where `FilesScan` sends what it finds, as it finds it: the renderers stream each file out.
public protocol FilesSink {
    mutating func file(_ f: FileResidency) throws(PinctlError)
    mutating func skipped(_ path: [UInt8], _ reason: TreeWalkSkip) throws(PinctlError)
    mutating func failed(_ path: [UInt8], _ message: String) throws(PinctlError)
    mutating func finish(_ totals: FilesTotals) throws(PinctlError)
    /// The run failed before `finish` (a bad `--from` entry): end the output well-formed
    /// with the error, and free what the writer holds. True when the error went to stdout.
    mutating func fail(_ error: PinctlError) -> Bool
}

#if canImport(Glibc)
    import Glibc
#endif

/// `pinctl files`: walks the arguments, reads each regular file's page cache state
/// (cachestat, or mincore on an untouched mapping before 6.5), optionally evicts it, and
/// streams every result to a sink; only the totals (and the hard-link set) are held.
public struct FilesScan {
    public var walk: TreeWalkOptions
    /// `--evict`: POSIX_FADV_DONTNEED each file, then report what stayed and why.
    public var evict = false
    /// Read residency with this method; nil picks cachestat where the kernel has it.
    public var method: PageCacheProbeMethod?

    public init(walk: TreeWalkOptions) {
        self.walk = walk
    }

    /// The exit status the run earned: 0, or `ExitStatus.incomplete` when a path could not be examined.
    public func run<S: FilesSink>(_ paths: [String], into sink: inout S) throws(PinctlError) -> Int32 {
        var rest = paths[...]
        return try run(next: { rest.popFirst() }, into: &sink)
    }

    /// The same over paths taken one at a time (`files --from`): nil ends them.
    public func run<S: FilesSink>(next: () throws(PinctlError) -> String?, into sink: inout S) throws(PinctlError) -> Int32 {
        try walk.patterns.validate()
        let probe = method ?? (CacheStat.available ? .cachestat : .mincore)
        var totals = FilesTotals()
        totals.method = probe
        var walker = TreeWalker(options: walk)
        let mappers = FileMappers()
        while let p = try next() {
            try walker.walk(p) { (event) throws(PinctlError) in
                switch event {
                case .directory:
                    totals.directories += 1
                case .skipped(let path, let reason):
                    totals.skipped[reason.kind, default: 0] += 1
                    try sink.skipped(path, reason)
                case .failed(let path, let message):
                    totals.failed += 1
                    try sink.failed(path, message)
                case .file(let fd, let st, let path):
                    let result = Result { () throws(SyscallError) in
                        try examine(fd: fd, stat: st, path: path, probe: probe, mappers: mappers)
                    }
                    switch result {
                    case .success(let f):
                        totals.add(f)
                        try sink.file(f)
                    case .failure(let e):
                        totals.failed += 1
                        try sink.failed(path, Self.failure(e))
                    }
                }
            }
        }
        try sink.finish(totals)
        return totals.failed > 0 ? ExitStatus.incomplete : ExitStatus.ok
    }

    /// One line for a probe that failed on a file.
    static func failure(_ e: SyscallError) -> String {
        switch (e.call, e.errno) {
        case ("cachestat", EPERM), ("mincore", EPERM):
            // mm/filemap.c can_do_cachestat() (6.14+), mm/mincore.c can_do_mincore(): the
            // page cache of a file is told only to its owner or to who may write it.
            return "\(e.call) refused (EPERM): the kernel tells a file's page cache only to its owner or to who may write it; run as root"
        case ("cachestat", EOPNOTSUPP):
            return "cachestat refused (EOPNOTSUPP): hugetlbfs files have no page cache to count"
        default:
            return "\(e.call) failed (\(e.errnoName): \(String(cString: strerror(e.errno))))"
        }
    }

    func examine(fd: Int32, stat st: stat, path: [UInt8], probe: PageCacheProbeMethod, mappers: FileMappers) throws(SyscallError)
        -> FileResidency
    {
        let size = UInt64(max(0, st.st_size))
        let pageSize = PagemapReader.pageSize
        let pages = size / pageSize + (size % pageSize == 0 ? 0 : 1)
        // Failures are reported against the path by the sink; the call's object stays empty.
        let name = ""
        var state = try Self.state(fd: fd, size: size, probe: probe, path: name)
        var eviction: FileResidency.Eviction?
        if evict {
            let before = state.cached
            if before > 0 {
                let rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                if rc != 0 { throw SyscallError(call: "posix_fadvise(POSIX_FADV_DONTNEED)", object: name, errno: rc) }
                state = try Self.state(fd: fd, size: size, probe: probe, path: name)
            }
            eviction = .init(
                cachedBefore: before, stayed: state.cached,
                reasons: state.cached > 0 ? Self.reasons(state, st: st, mappers: mappers) : [])
        }
        return FileResidency(path: path, size: size, pages: pages, state: state, method: probe, eviction: eviction)
    }

    static func state(fd: Int32, size: UInt64, probe: PageCacheProbeMethod, path: String) throws(SyscallError) -> PageCacheState {
        switch probe {
        case .cachestat: return try CacheStat.state(fd: fd, path: path)
        case .mincore: return try MincoreResidency.state(fd: fd, size: size, path: path)
        }
    }

    /// Why pages stayed after POSIX_FADV_DONTNEED, as far as the kernel lets us know:
    /// invalidate_mapping_pages keeps dirty pages, pages under writeback, mapped pages
    /// (and so mlocked ones) and pages someone else holds a reference to.
    static func reasons(_ s: PageCacheState, st: stat, mappers: FileMappers) -> [String] {
        var out: [String] = []
        if let d = s.dirty, d > 0 { out.append("\(d) dirty (not written back yet: run sync, then evict again)") }
        if let w = s.writeback, w > 0 { out.append("\(w) under writeback (evict again once it is done)") }
        for m in mappers.mappers(dev: UInt64(st.st_dev), inode: UInt64(st.st_ino)) {
            out.append("mapped by pid \(m.pid) (\(TerminalEscaping.escape(m.comm)))\(m.locked ? ", mlocked" : "")")
        }
        if out.isEmpty {
            out.append("held by the kernel for a reason it does not report (in use by I/O, or pinned by a driver)")
        }
        return out
    }
}

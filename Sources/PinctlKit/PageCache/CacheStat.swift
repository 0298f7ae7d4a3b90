import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// cachestat(2) (syscall 451, Linux 6.5+): the page cache state of an open file, read from
/// the page cache itself, without mapping, faulting or reading the file.
public enum CacheStat {
    /// The whole file's state (a range of length 0 means "to the end of the file").
    /// Throws ENOSYS where the kernel has no cachestat, EOPNOTSUPP on hugetlbfs.
    public static func state(fd: Int32, path: String) throws(SyscallError) -> PageCacheState {
        var range = cpinctl_cachestat_range(off: 0, len: 0)
        var cs = cpinctl_cachestat()
        while cpinctl_cachestat(fd, &range, &cs, 0) != 0 {
            if errno == EINTR { continue }
            throw lastError("cachestat", path)
        }
        return PageCacheState(
            cached: cs.nr_cache, dirty: cs.nr_dirty, writeback: cs.nr_writeback, evicted: cs.nr_evicted,
            recentlyEvicted: cs.nr_recently_evicted)
    }

    /// Whether this kernel has cachestat: one call on a descriptor of our own; the answer
    /// holds for the process's life.
    public static let available: Bool = {
        let fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var range = cpinctl_cachestat_range(off: 0, len: 0)
        var cs = cpinctl_cachestat()
        return cpinctl_cachestat(fd, &range, &cs, 0) == 0 || errno != ENOSYS
    }()
}

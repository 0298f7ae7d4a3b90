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
        _ = try systemCall("cachestat", path) { cpinctl_cachestat(fd, &range, &cs, 0) }
        return PageCacheState(
            cached: cs.nr_cache, dirty: cs.nr_dirty, writeback: cs.nr_writeback, evicted: cs.nr_evicted,
            recentlyEvicted: cs.nr_recently_evicted)
    }

    /// Whether this kernel has cachestat: one call on a descriptor of our own; the answer
    /// holds for the process's life.
    public static let available: Bool = {
        guard let file = try? FileDescriptor.openReadOnly("/proc/self/exe") else { return false }
        do throws(SyscallError) {
            _ = try state(fd: file.raw, path: file.path)
            return true
        } catch {
            return error.errno != ENOSYS
        }
    }()
}

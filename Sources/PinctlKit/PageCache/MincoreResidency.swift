#if canImport(Glibc)
    import Glibc
#endif

/// The fallback before cachestat (Linux < 6.5): mincore(2) on a PROT_READ shared mapping of
/// the file that is never touched, so no page is faulted in or read. The residency vector is
/// read a chunk at a time into one reused buffer: memory does not grow with the file.
///
/// Since 5.2 mincore answers for a file's page cache only when the caller could open the file
/// for writing (or owns it); otherwise it counts only pages this process has mapped, which is
/// none. pinctl runs as root, where the answer is whole.
public enum MincoreResidency {
    /// Pages per mincore call: 256 KiB of vector, 1 GiB of file.
    static let chunkPages = 256 << 10

    /// Resident pages of the first `size` bytes of `fd`.
    public static func state(fd: Int32, size: UInt64, path: String) throws(SyscallError) -> PageCacheState {
        guard size > 0 else { return PageCacheState(cached: 0) }
        guard let length = Int(exactly: size) else { throw SyscallError(call: "mmap", object: path, errno: EOVERFLOW) }
        let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0)
        guard let base, base != MAP_FAILED else { throw lastError("mmap", path) }
        defer { munmap(base, length) }
        let pageSize = Int(PagemapReader.pageSize)
        let pages = (length + pageSize - 1) / pageSize
        let vector = UnsafeMutablePointer<UInt8>.allocate(capacity: min(pages, chunkPages))
        defer { vector.deallocate() }
        var resident: UInt64 = 0
        var page = 0
        while page < pages {
            let n = min(chunkPages, pages - page)
            let bytes = min(n * pageSize, length - page * pageSize)
            guard mincore(base + page * pageSize, bytes, vector) == 0 else {
                throw lastError("mincore", path)
            }
            for i in 0..<n where vector[i] & 1 != 0 { resident += 1 }
            page += n
        }
        return PageCacheState(cached: resident)
    }
}

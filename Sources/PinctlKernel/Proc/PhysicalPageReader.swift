#if canImport(Glibc)
    import Glibc
#endif

/// Reads the PFN-indexed tables /proc/kpageflags, /proc/kpagecount and /proc/kpagecgroup
/// (root only), one pread per run of contiguous PFNs.
public final class PhysicalPageReader {
    public struct Unavailable: Equatable, Sendable {
        public var file: String
        public var reason: String
    }

    let flags: FileDescriptor?
    let count: FileDescriptor?
    let cgroup: FileDescriptor?
    /// Why a table could not be opened, for the report.
    public private(set) var unavailable: [Unavailable] = []

    public var hasFlags: Bool { flags != nil }
    public var hasCount: Bool { count != nil }
    public var hasCgroup: Bool { cgroup != nil }

    public init(root: String = "/proc") {
        var missing: [Unavailable] = []
        func open(_ name: String) -> FileDescriptor? {
            do {
                return try FileDescriptor.openReadOnly("\(root)/\(name)")
            } catch {
                let fix: String
                switch error.errno {
                case ENOENT: fix = name == "kpagecgroup" ? "the kernel has no CONFIG_MEMCG" : "the kernel has no CONFIG_PROC_PAGE_MONITOR"
                case EACCES, EPERM: fix = "run as root: it is mode 0400 root"
                default: fix = error.description
                }
                missing.append(Unavailable(file: "\(root)/\(name)", reason: "\(error.errnoName): \(fix)"))
                return nil
            }
        }
        flags = open("kpageflags")
        count = open("kpagecount")
        cgroup = open("kpagecgroup")
        unavailable = missing
    }

    /// Reads `n` entries for PFNs [pfn, pfn+n) into the given buffers (each at least n long);
    /// returns how many entries each table gave (0 where a table is missing, fewer past the
    /// end of memory).
    public func read(
        pfn: UInt64, n: Int, flags f: UnsafeMutablePointer<UInt64>?, count c: UnsafeMutablePointer<UInt64>?,
        cgroup g: UnsafeMutablePointer<UInt64>?
    ) -> (flags: Int, count: Int, cgroup: Int) {
        let offset = pfn &* 8
        func one(_ fd: FileDescriptor?, _ p: UnsafeMutablePointer<UInt64>?) -> Int {
            guard let fd, let p else { return 0 }
            let got = (try? fd.pread(into: UnsafeMutableRawPointer(p), count: n * 8, offset: offset)) ?? 0
            return got / 8
        }
        return (one(flags, f), one(count, c), one(cgroup, g))
    }
}

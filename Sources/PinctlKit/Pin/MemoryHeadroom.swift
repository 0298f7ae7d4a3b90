#if canImport(Glibc)
    import Glibc
#endif

/// How much memory a pin may still fault in before the kernel would reclaim what it cannot
/// or OOM-kill: the machine's MemAvailable, and the headroom of every memory cgroup above
/// this process (cgroup v2 memory.max - memory.current; v1 memory.limit_in_bytes -
/// memory.usage_in_bytes), each crediting its reclaimable page cache (active_file +
/// inactive_file, which excludes shmem). `pin` refuses, with these numbers, a range that
/// does not fit, before it maps anything.
public enum MemoryHeadroom {
    public struct MemInfo: Equatable {
        public var total: UInt64
        public var available: UInt64
    }

    /// One memory cgroup's limit and use.
    public struct CgroupLimit: Equatable {
        /// The cgroup's directory (under /sys/fs/cgroup).
        public var directory: String
        public var limit: UInt64
        public var usage: UInt64
        /// Page cache the cgroup can drop to make room (active_file + inactive_file).
        public var reclaimable: UInt64

        public var headroom: UInt64 {
            let free = limit > usage ? limit - usage : 0
            return min(limit, free.addingReportingOverflow(min(reclaimable, usage)).partialValue)
        }
    }

    /// /proc/meminfo's MemTotal and MemAvailable.
    public static func memInfo(_ text: String? = nil) -> MemInfo? {
        guard let t = text ?? (try? readProcText(MeminfoReader.path)) else { return nil }
        let m = MeminfoReader.parse(Array(t.utf8))
        guard let total = m.memTotalBytes, let available = m.memAvailableBytes else { return nil }
        return MemInfo(total: total, available: available)
    }

    /// Every memory cgroup from this process's up to its hierarchy's root that has a limit.
    public static func cgroupLimits(cgroupText: String? = nil, mountinfoText: String? = nil) -> [CgroupLimit] {
        guard let cg = cgroupText ?? (try? readProcText("/proc/self/cgroup")),
            let mi = mountinfoText ?? (try? readProcText("/proc/self/mountinfo"))
        else { return [] }
        var out: [CgroupLimit] = []
        for (mount, root, path, v2) in memoryCgroupDirectories(cgroup: cg, mountinfo: mi) {
            guard var dir = ownDirectory(mount: mount, root: root, path: path) else { continue }
            while true {
                if let l = read(dir, v2: v2) { out.append(l) }
                if dir == mount || !dir.hasPrefix(mount) { break }
                guard let slash = dir.lastIndex(of: "/") else { break }
                dir = String(dir[..<slash])
                if dir.count < mount.count { break }
            }
        }
        return out
    }

    /// This process's cgroup directory under `mount`, from its /proc/self/cgroup `path` and
    /// the mount's `root` as mountinfo shows them. Both are relative to this process's cgroup
    /// namespace: a mount made outside it has a root of "/.." components, one per level the
    /// namespace's root lies below the mount's, and their names are not shown. The directory
    /// is then the one at that depth, plus `path`, that lists this process in cgroup.procs.
    /// Nil when no such directory can be found (the mount shows another subtree).
    static func ownDirectory(mount: String, root: String, path: String) -> String? {
        let up = root.split(separator: "/")
        if !up.isEmpty, up.allSatisfy({ $0 == ".." }) {
            return directoryHolding(getpid(), under: mount, depth: up.count, then: path)
        }
        var rel = Substring(path)
        if root != "/" {
            guard rel.hasPrefix(root) else { return nil }
            rel = rel.dropFirst(root.count)
        }
        var dir = mount + (rel.hasPrefix("/") || rel.isEmpty ? "" : "/") + rel
        while dir.hasSuffix("/") && dir.count > 1 { dir.removeLast() }
        return dir
    }

    /// The directory `depth` levels below `mount`, then `path`, whose cgroup.procs lists
    /// `pid`; at most `limit` directories are looked at, so a host with very many cgroups
    /// costs a bounded walk (cgroupfs is the kernel's own and never blocks).
    static func directoryHolding(_ pid: pid_t, under mount: String, depth: Int, then path: String, limit: Int = 65536) -> String? {
        let tail = path.split(separator: "/").joined(separator: "/")
        var level = [mount]
        var seen = 0
        for _ in 0..<depth {
            var next: [String] = []
            for dir in level {
                guard let stream = try? DirectoryStream(dir) else { continue }
                while let e = stream.next() {
                    guard e.pointee.d_type == UInt8(DT_DIR) else { continue }
                    let name = String(cString: ProcDirectoryEntry.name(e))
                    guard name != ".", name != ".." else { continue }
                    seen += 1
                    guard seen <= limit else { return nil }
                    next.append(dir + "/" + name)
                }
            }
            level = next
        }
        let own = String(pid)
        for dir in level {
            let candidate = tail.isEmpty ? dir : dir + "/" + tail
            guard let procs = try? readProcText(candidate + "/cgroup.procs") else { continue }
            if procs.split(separator: "\n").contains(where: { $0 == own }) { return candidate }
        }
        return nil
    }

    /// (mount point, mount root, cgroup path, is v2) for the hierarchies holding the memory controller.
    static func memoryCgroupDirectories(cgroup: String, mountinfo: String) -> [(String, String, String, Bool)] {
        var v1Path: String?, v2Path: String?
        for line in cgroup.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            if f[0] == "0" && f[1].isEmpty { v2Path = String(f[2]) }
            if f[1].split(separator: ",").contains("memory") { v1Path = String(f[2]) }
        }
        var out: [(String, String, String, Bool)] = []
        for line in mountinfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            let fields = line.split(separator: " ")
            guard let dash = fields.firstIndex(of: "-") else { continue }
            let pre = fields[..<dash]
            let post = Array(fields[(dash + 1)...])
            guard pre.count >= 5, post.count >= 3 else { continue }
            let root = unescapeMountField(pre[pre.startIndex + 3]), mountPoint = unescapeMountField(pre[pre.startIndex + 4])
            if post[0] == "cgroup2", let v2Path, v1Path == nil {
                out.append((mountPoint, root, v2Path, true))
            } else if post[0] == "cgroup", let v1Path, post[2].split(separator: ",").contains("memory") {
                out.append((mountPoint, root, v1Path, false))
            }
        }
        return out
    }

    /// mountinfo writes space, tab, newline and backslash as \040-style octal escapes.
    static func unescapeMountField(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count, let v = NumberParsing.digits(u[(i + 1)...(i + 3)], radix: 8), v < 256 {
                bytes.append(UInt8(v))
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One cgroup directory's limit, or nil when it has none (or no memory files).
    static func read(_ dir: String, v2: Bool) -> CgroupLimit? {
        func number(_ file: String) -> UInt64? {
            guard let t = try? readProcText("\(dir)/\(file)") else { return nil }
            return NumberParsing.parseUInt64(Substring(t).trimmingSpaces().split(separator: "\n").first ?? "")
        }
        let limit = number(v2 ? "memory.max" : "memory.limit_in_bytes")
        let usage = number(v2 ? "memory.current" : "memory.usage_in_bytes")
        // "max" (v2) does not parse; v1's "unlimited" is PAGE_COUNTER_MAX pages, near 2^63.
        guard let limit, let usage, limit < 1 << 62 else { return nil }
        var reclaimable: UInt64 = 0
        if let stat = try? readProcText("\(dir)/memory.stat") {
            let keys: Set<Substring> = v2 ? ["active_file", "inactive_file"] : ["total_active_file", "total_inactive_file"]
            for line in stat.split(separator: "\n") {
                let f = line.split(separator: " ")
                if f.count == 2, keys.contains(f[0]), let v = NumberParsing.parseUInt64(f[1]) {
                    reclaimable = reclaimable.addingReportingOverflow(v).partialValue
                }
            }
        }
        return CgroupLimit(directory: dir, limit: limit, usage: usage, reclaimable: reclaimable)
    }

    /// Why `bytes` more would not fit, with the numbers and the fix; nil when it fits.
    public static func shortfall(
        _ bytes: UInt64, what: String, memInfo: MemInfo? = memInfo(), cgroups: [CgroupLimit] = cgroupLimits()
    ) -> String? {
        if let tight = cgroups.min(by: { $0.headroom < $1.headroom }), bytes > tight.headroom {
            return
                "\(what) needs \(humanBytes(bytes)) but the memory cgroup \(tight.directory) has \(humanBytes(tight.headroom)) left (limit \(humanBytes(tight.limit)), in use \(humanBytes(tight.usage)), of which \(humanBytes(tight.reclaimable)) reclaimable page cache): the kernel would OOM-kill; pin less, free memory in the cgroup or raise its limit"
        }
        if let m = memInfo, bytes > m.available {
            return
                "\(what) needs \(humanBytes(bytes)) but MemAvailable is \(humanBytes(m.available)) (MemTotal \(humanBytes(m.total))): the kernel would OOM-kill; pin less or free memory"
        }
        return nil
    }
}

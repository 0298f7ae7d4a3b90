#if canImport(Glibc)
    import Glibc
#endif

/// Which processes map a file, and whether they lock it: why page cache stays after
/// POSIX_FADV_DONTNEED (invalidate_mapping_pages skips mapped pages). Built once, on the
/// first file that needs it, from every /proc/PID/maps (device and inode per VMA); the
/// locked flag comes from the VmFlags `lo` of the same VMAs in that process's smaps, read only
/// for processes that map such a file. Processes that come and go meanwhile are missed.
public final class FileMappers {
    public struct Mapper: Equatable, Sendable {
        public var pid: Int32
        public var comm: String
        public var locked: Bool
    }

    struct Key: Hashable {
        let major: UInt32
        let minor: UInt32
        let inode: UInt64
    }

    private var index: [Key: [Int32]]?

    public init() {}

    /// The processes mapping the file with this device and inode.
    public func mappers(dev: UInt64, inode: UInt64) -> [Mapper] {
        if index == nil { index = Self.scan() }
        let number = DeviceNumber(dev)
        let key = Key(major: number.major, minor: number.minor, inode: inode)
        guard let pids = index?[key] else { return [] }
        return pids.map { pid in
            Mapper(pid: pid, comm: Self.comm(pid), locked: Self.locks(pid: pid, key: key))
        }
    }

    static func scan() -> [Key: [Int32]] {
        var out: [Key: [Int32]] = [:]
        guard let dir = opendir("/proc") else { return out }
        defer { closedir(dir) }
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(dir) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard let pid = Int32(name), pid > 0, let text = try? readProcText("/proc/\(pid)/maps") else { continue }
            var keys = Set<Key>()
            for line in text.split(separator: "\n") {
                if let key = Self.key(line) { keys.insert(key) }
            }
            for key in keys { out[key, default: []].append(pid) }
        }
        return out
    }

    /// Device and inode of a maps or smaps VMA line ("start-end perms offset MAJ:MIN inode path").
    static func key(_ line: Substring) -> Key? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, fields[0].contains("-"), let inode = UInt64(fields[4]), inode != 0 else { return nil }
        let dev = fields[3].split(separator: ":")
        guard dev.count == 2, let major = UInt32(dev[0], radix: 16), let minor = UInt32(dev[1], radix: 16) else { return nil }
        return Key(major: major, minor: minor, inode: inode)
    }

    /// Whether a VMA of `pid` mapping the file has VmFlags `lo` (mlock).
    static func locks(pid: Int32, key: Key) -> Bool {
        guard let text = try? readProcText("/proc/\(pid)/smaps") else { return false }
        var inFile = false
        for line in text.split(separator: "\n") {
            if let k = Self.key(line) {
                inFile = k == key
            } else if line.first.map({ $0.isLowercase || $0.isNumber }) == true && line.contains("-") {
                // A VMA line of an anonymous mapping (inode 0).
                inFile = false
            } else if inFile && line.hasPrefix("VmFlags:") {
                if line.split(separator: " ").contains("lo") { return true }
            }
        }
        return false
    }

    static func comm(_ pid: Int32) -> String {
        let text = (try? readProcText("/proc/\(pid)/comm")) ?? "?"
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `--cgroup PATH|@INODE`: a memory cgroup as kpagecgroup names it, by the inode number of
/// its directory (page-types -c). PATH must be a directory of a cgroup file system whose
/// hierarchy has the memory controller; nothing is opened.
public enum CgroupFilter {
    public static func inode(_ text: String) throws(PinctlError) -> UInt64 {
        if text.hasPrefix("@") {
            guard let n = NumberParsing.parseUInt64(text.dropFirst()), !text.contains(" "), n > 0 else {
                throw .invalidInput("--cgroup '\(text)': give a cgroup directory or @INODE (a number above 0)")
            }
            return n
        }
        guard !text.isEmpty else {
            throw .invalidInput("--cgroup: empty path; give a cgroup directory such as /sys/fs/cgroup/system.slice")
        }
        let st: stat
        do throws(SyscallError) { st = try FileDescriptor.stat(text, flags: 0) } catch let e {
            throw .invalidInput(
                "--cgroup \(text): \(e.errnoName): give an existing cgroup directory such as /sys/fs/cgroup/system.slice"
            )
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw .invalidInput(
                "--cgroup \(text): not a directory; give a cgroup directory such as /sys/fs/cgroup/system.slice")
        }
        // cgroup v1 (CGROUP_SUPER_MAGIC) or v2 (CGROUP2_SUPER_MAGIC): another directory's
        // inode number could name a memory cgroup by chance.
        let magic = cpinctl_fs_magic(text)
        guard magic == 0x27e0eb || magic == 0x6367_7270 else {
            throw .invalidInput(
                "--cgroup \(text): not a cgroup directory; give one under /sys/fs/cgroup (v2) or /sys/fs/cgroup/memory (v1)"
            )
        }
        // Every cgroup hierarchy's root is inode 1 (and its other inodes count from there), so
        // a directory of a hierarchy without the memory controller (v1 cpu, a v2 tree that
        // does not enable memory) would name some memory cgroup by its number. A memory
        // cgroup has memory.stat (v1 and v2; the v2 root since 5.x) or memory.current.
        let memoryFiles = ["memory.stat", "memory.current", "memory.usage_in_bytes"]
        guard memoryFiles.contains(where: { (try? FileDescriptor.stat("\(text)/\($0)", flags: AT_SYMLINK_NOFOLLOW)) != nil }) else {
            throw .invalidInput(
                "--cgroup \(text): not a memory cgroup (its hierarchy has no memory controller, so its inode number would name another cgroup): give one under /sys/fs/cgroup/memory (v1) or a v2 cgroup with memory enabled"
            )
        }
        return UInt64(st.st_ino)
    }
}

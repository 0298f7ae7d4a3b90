import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `--cgroup PATH|@INODE`: a memory cgroup as kpagecgroup names it, by the inode number of
/// its directory (page-types -c). PATH must be a directory of a cgroup file system;
/// nothing is opened.
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
        return UInt64(st.st_ino)
    }
}

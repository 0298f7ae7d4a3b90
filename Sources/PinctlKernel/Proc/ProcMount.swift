import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Whether /proc is there to read. Without it (a chroot, a minimal container) every read
/// would fail on a path of its own, and a missing /proc/PID would read as a process that
/// exited; commands that read /proc check this first and say it in one line.
package enum ProcMount {
    /// PROC_SUPER_MAGIC, statfs(2)'s f_type of procfs.
    static let procfsMagic: Int64 = 0x9fa0

    /// Throws `unavailable` unless `path` is a procfs mount (a tmpfs or an empty directory
    /// there is no /proc either).
    package static func require(_ path: String = "/proc") throws(PinctlError) {
        guard cpinctl_fs_magic(path) == procfsMagic else {
            throw .unavailable(
                "no /proc mounted (\(path) is not procfs): pinctl reads processes and the kernel's counters there; mount it (mount -t proc proc /proc) or run pinctl where it is"
            )
        }
        // A directory of a procfs bound over /proc (/proc/sys) is procfs too, but no /proc.
        guard selfPid(path) != nil else {
            throw .unavailable(
                "no /proc mounted (\(path) is procfs but has no self: a part of one is mounted there); mount one (mount -t proc proc /proc) or run pinctl where it is"
            )
        }
    }

    /// The pid /proc gives this process (where /proc/self points). In a pid namespace whose
    /// /proc is the parent's, getpid() is another process's number there.
    package static func selfPid(_ path: String = "/proc") -> Int32? {
        var buffer = [CChar](repeating: 0, count: 32)
        let n = readlink(path + "/self", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

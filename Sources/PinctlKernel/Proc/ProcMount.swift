import CPinctl

/// Whether /proc is there to read. Without it (a chroot, a minimal container) every read
/// would fail on a path of its own, and a missing /proc/PID would read as a process that
/// exited; commands that read /proc check this first and say it in one line.
package enum ProcMount {
    /// PROC_SUPER_MAGIC, statfs(2)'s f_type of procfs.
    static let procfsMagic: Int64 = 0x9fa0

    /// Throws `unavailable` unless `path` is a procfs mount (a tmpfs or an empty directory
    /// there is no /proc either).
    package static func require(_ path: String = "/proc") throws(PinctlError) {
        guard cpinctl_fs_magic(path) != procfsMagic else { return }
        throw .unavailable(
            "no /proc mounted (\(path) is not procfs): pinctl reads processes and the kernel's counters there; mount it (mount -t proc proc /proc) or run pinctl where it is"
        )
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// Serializes pinctl's memory check and pinning per memory cgroup: twenty pins started at
/// once in one cgroup would each see the whole headroom and all be let in, and the OOM
/// killer would then choose. So each takes an exclusive flock(2) on the directory of the
/// cgroup whose limit binds, checks, pins, and lets go once its pages are charged. The
/// directory is readable by others, who could hold the lock too: the wait is bounded and a
/// termination signal ends it.
final class CgroupPinLock {
    private let fd: FileDescriptor

    private init(fd: FileDescriptor) { self.fd = fd }

    static let maxWait = 60.0

    /// Locks `directory`; nil when it cannot be opened (nothing to serialize on).
    static func acquire(_ directory: String, what: String) throws(PinctlError) -> CgroupPinLock? {
        let raw = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard raw >= 0 else { return nil }
        let fd = FileDescriptor(raw: raw, path: directory)
        let deadline = MonotonicClock.now() + maxWait
        while flock(fd.raw, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { return nil }
            if let sig = TerminationSignals.pendingSignal() {
                throw .interrupted(
                    "\(what): \(TerminationSignals.name(sig)) while waiting for other pins in \(directory): nothing was pinned")
            }
            if MonotonicClock.now() > deadline {
                throw .refused(
                    "\(what): another process has held the pin lock (flock) on \(directory) for \(Int(maxWait)) s: wait for its pin to finish (`fuser -v \(directory)` shows who) and retry"
                )
            }
            usleep(10_000)
        }
        return CgroupPinLock(fd: fd)
    }
}

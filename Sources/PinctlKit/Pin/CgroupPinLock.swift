#if canImport(Glibc)
    import Glibc
#endif

/// Serializes pinctl's memory check and pinning per memory cgroup: twenty pins started at
/// once in one cgroup would each see the whole headroom and all be let in, and the OOM
/// killer would then choose. So each takes an exclusive flock(2) on the directory of the
/// cgroup whose limit binds, checks, pins, and lets go once its pages are charged. The
/// directory is readable by others, who could hold the lock too: so the wait is bounded, a
/// termination signal ends it, and past the bound the pin goes ahead without the lock (the
/// memory check still runs) and says so, rather than letting any user turn a delay into a
/// refusal of everyone else's pins.
final class CgroupPinLock {
    private let fd: FileDescriptor

    private init(fd: FileDescriptor) { self.fd = fd }

    static let maxWait = 10.0

    /// Locks `directory`; nil when it cannot be opened (nothing to serialize on) or another
    /// process held it for `maxWait` seconds (a warning says so).
    static func acquire(_ directory: String, what: String) throws(PinctlError) -> CgroupPinLock? {
        guard let fd = try? openDirectory(directory) else { return nil }
        let deadline = SuspendingClock.now.advanced(by: .seconds(maxWait))
        while true {
            do throws(SyscallError) {
                _ = try systemCall("flock", directory) { flock(fd.raw, LOCK_EX | LOCK_NB) }
                break
            } catch {
                guard error.errno == EWOULDBLOCK else { return nil }
            }
            if let sig = TerminationSignals.pendingSignal() {
                throw .interrupted(
                    "\(what): \(TerminationSignals.name(sig)) while waiting for other pins in \(directory): nothing was pinned")
            }
            if SuspendingClock.now > deadline {
                printError(
                    "pinctl: warning: \(TerminalEscaping.escape(what)): another process has held the pin lock (flock) on \(TerminalEscaping.escape(directory)) for \(Int(maxWait)) s (`fuser -v` on it shows who): pinning without it"
                )
                return nil
            }
            usleep(10_000)
        }
        return CgroupPinLock(fd: fd)
    }
}

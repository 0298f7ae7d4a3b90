import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps a `Type=notify` unit's start from timing out while a long pin is still making
/// progress. systemd waits `TimeoutStartSec` (90 s by default) for READY=1, and pinning a
/// few hundred GiB (faulting in and zeroing every page, or reading a file from disk) can take
/// longer. While pinctl maps, pins and verifies, this thread looks every `interval` at whether
/// the work moved on since the last extension it sent, and only then sends
/// `EXTEND_TIMEOUT_USEC` (systemd 236+; older ones ignore the assignment) with a STATUS line
/// saying how far it got:
/// - progress is resident memory grown by `residentStep` (faulting pages in, a file read
///   from a slow disk; a few allocations of pinctl's own are not progress), or
///   CPU time used by the process's other threads (zeroing pages, GUP on behalf of a remote
///   pin, reading pagemap for --verify: all charged to pinctl) of at least `busyFraction` of
///   the time since the last extension. Counted since the last extension, not per interval: a
///   pin throttled by a CPU quota or a loaded machine works in bursts, and an interval without
///   CPU must not let the extension lapse while the work goes on;
/// - a pin that waits without working (a cgroup pin lock held by someone else, polled at
///   0.2% of a CPU; a page fault stuck on a dead NFS server) sends nothing, so systemd's own
///   timeout still ends a start that hangs: an extension lasts `lasting` and is
///   never renewed without progress;
/// - systemd never shortens the unit's timeout for it, so a short pin behaves as without it.
/// The thread reads /proc/self/statm (no mmap lock: it does not wait behind the pin's faults)
/// through a descriptor opened before it starts, and sends through the same notifier as
/// READY=1; it is joined before READY=1 is sent, so the two never overlap.
public final class StartTimeoutExtender: @unchecked Sendable {
    // Immutable, or the thread's alone until it is joined.
    public static let defaultInterval = 2.0
    /// Each extension lasts at least this long, and five intervals: long enough for the
    /// bursts of a throttled pin, short enough that a hung one still times out soon.
    public static let minimumExtension = 10.0
    /// Below this share of a CPU, the process is waiting, not working.
    static let busyFraction = 0.02
    /// Resident memory grown by less than this is pinctl's own allocations, not the pin.
    static let residentStep: UInt64 = 1 << 20

    private let notifier: SystemdNotifier
    private let interval: Double
    /// How long each extension lasts: `minimumExtension`, or five intervals if longer.
    private let lasting: Double
    private let what: String
    private let thread: StoppableThread
    private let statm: FileDescriptor?
    /// CPU time, resident bytes and the time at the last extension (or the start).
    private var baseCPU: UInt64 = 0
    private var baseResident: UInt64 = 0
    private var baseTime = SuspendingClock.now

    /// `what` names the pin in STATUS (escaped there by the notifier).
    public init(notifier: SystemdNotifier, interval: Double = defaultInterval, what: String) throws(SyscallError) {
        self.notifier = notifier
        self.interval = max(0.05, min(interval, 60))
        lasting = max(Self.minimumExtension, 5 * self.interval)
        self.what = what
        thread = try StoppableThread(name: "pinctl-extend")
        // One pread of a kept descriptor per interval: this layer sits below ProcFileReader.
        statm = try? FileDescriptor.openReadOnly("/proc/self/statm")
    }

    /// The EXTEND_TIMEOUT_USEC and STATUS assignments for one extension.
    static func message(extensionSeconds: Double, what: String, resident: UInt64, cpuSeconds: Double) -> [UInt8] {
        let usec = UInt64(extensionSeconds * 1_000_000)
        let status = "pinning \(what): \(humanBytes(resident)) resident, \(formatSeconds(cpuSeconds)) s CPU"
        var m = Array("EXTEND_TIMEOUT_USEC=\(usec)\n".utf8)
        m += SystemdNotifier.message(status: status)
        return m
    }

    static func formatSeconds(_ s: Double) -> String {
        let tenths = Int((s * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Starts the thread; until `stop`, it holds a reference to the extender.
    public func start() throws(SyscallError) {
        // The thread has used no CPU yet: the process's time is the other threads'.
        (baseCPU, baseResident, baseTime) = (Self.processCPU(), resident(), SuspendingClock.now)
        try thread.start { self.run() }
    }

    /// Ends the thread and joins it; safe to call twice, or when it never started.
    public func stop() { thread.stop() }

    private func run() {
        var p = pollfd(fd: thread.wakeup.raw, events: Int16(POLLIN), revents: 0)
        var deadline = SuspendingClock.now.advanced(by: .seconds(interval))
        while true {
            let left = (deadline - SuspendingClock.now).inSeconds
            var n: Int32 = 0
            if left > 0 {
                do throws(SyscallError) {
                    // Interruptible: after a signal the timeout is recomputed from the deadline.
                    n = try interruptibleSystemCall("poll", "pinctl-extend") { poll(&p, 1, max(1, Int32(left * 1000))) }
                } catch {
                    if error.interrupted { continue }
                    return
                }
            }
            if n > 0 { return }
            let now = SuspendingClock.now
            deadline = now.advanced(by: .seconds(interval))
            let (cpu, rss) = (otherThreadsCPU(), resident())
            let since = (now - baseTime).inSeconds
            let worked = rss >= baseResident + Self.residentStep || Double(cpu &- min(cpu, baseCPU)) >= since * Self.busyFraction * 1e9
            guard worked else {
                // Work older than an extension's length says nothing about now.
                if since >= lasting { (baseCPU, baseResident, baseTime) = (cpu, rss, now) }
                continue
            }
            (baseCPU, baseResident, baseTime) = (cpu, rss, now)
            let m = Self.message(extensionSeconds: lasting, what: what, resident: rss, cpuSeconds: Double(cpu) / 1e9)
            if let warning = notifier.send(m, saying: "that the pin is still in progress") {
                printError(warning)
                return
            }
        }
    }

    /// CPU time of the whole process, in nanoseconds.
    private static func processCPU() -> UInt64 { cpuTime(CLOCK_PROCESS_CPUTIME_ID) }

    /// CPU time of the process less the calling thread's: called on the extender's thread,
    /// the work of every other thread (the extender's own reads are not progress).
    private func otherThreadsCPU() -> UInt64 {
        let total = Self.processCPU()
        return total - min(Self.cpuTime(CLOCK_THREAD_CPUTIME_ID), total)
    }

    private static func cpuTime(_ clock: clockid_t) -> UInt64 {
        var t = timespec()
        guard clock_gettime(clock, &t) == 0 else { return 0 }
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Resident bytes (statm's second field), 0 when unreadable.
    private func resident() -> UInt64 {
        guard let statm else { return 0 }
        var buf = [UInt8](repeating: 0, count: 128)
        guard
            let n = try? buf.withUnsafeMutableBytes({ b throws(SyscallError) in
                try statm.pread(into: b.baseAddress!, count: b.count, offset: 0)
            }),
            n > 0
        else { return 0 }
        let fields = buf[0..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = UInt64(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }
}

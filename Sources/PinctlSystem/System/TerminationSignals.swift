import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Every signal whose default action ends the process and that can be sent to it from
/// outside: blocked before any pin is taken, any file created and any thread started, so
/// they are taken synchronously: checked between pinning steps, waited for while holding,
/// and followed by the release of everything. SIGKILL and SIGSTOP cannot be blocked (the
/// kernel still drops pins, locks and mappings on SIGKILL; only a created shm object and the
/// pidfile stay). The fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT) are
/// left alone: the kernel delivers a real fault even when blocked, and blocking them would
/// only hide the crash report.
///
/// The two real-time signals glibc keeps for its threads (32 SIGCANCEL, 33 SIGSETXID: below
/// its SIGRTMIN) end the process too when no handler is set, which is the case here (pinctl
/// never cancels a thread nor changes credentials across threads), and `kill -32` reaches
/// pinctl like any other signal. glibc's sigaddset refuses them and its sigprocmask drops them,
/// so they are set by bit and blocked by the system call. glibc unblocks them again when it
/// makes a thread (in the new thread, and in the caller at the process's first
/// pthread_create): StoppableThread gives both the creator's mask back right away, and
/// catches the two while a thread starts (`catchingLibcSignals`).
public enum TerminationSignals {
    /// The classic ones, glibc's two, then SIGRTMIN...SIGRTMAX.
    public static var all: [Int32] {
        [
            SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGSTKFLT, SIGPOLL, SIGXCPU,
            SIGXFSZ, SIGVTALRM, SIGPROF, SIGPWR, SIGSYS,
        ] + Array(libcInternal) + Array(realtimeRange)
    }

    static var realtimeRange: ClosedRange<Int32> { __libc_current_sigrtmin()...__libc_current_sigrtmax() }
    /// The kernel's real-time signals glibc took for itself (empty under a C library that took none).
    static var libcInternal: Range<Int32> { CPINCTL_KERNEL_SIGRTMIN..<__libc_current_sigrtmin() }

    static func set() -> sigset_t {
        var s = sigset_t()
        sigemptyset(&s)
        for sig in all { cpinctl_sigset_add(&s, sig) }
        return s
    }

    /// Blocks every one of them in the calling thread (the system call: glibc's
    /// pthread_sigmask would leave 32 and 33 out).
    public static func block() {
        _ = blockSaving()
    }

    /// Blocks every one of them and returns the mask before, for `restore`.
    public static func blockSaving() -> sigset_t {
        var s = set()
        var previous = sigset_t()
        sigemptyset(&previous)
        _ = cpinctl_sigprocmask(SIG_BLOCK, &s, &previous)
        return previous
    }

    /// The calling thread's mask as the kernel has it, 32 and 33 included.
    public static func currentMask() -> sigset_t {
        var none = sigset_t()
        sigemptyset(&none)
        var current = sigset_t()
        sigemptyset(&current)
        _ = cpinctl_sigprocmask(SIG_BLOCK, &none, &current)
        return current
    }

    /// Sets the calling thread's mask back to `previous` as it was, 32 and 33 included
    /// (glibc's SIG_SETMASK would unblock them).
    public static func restore(_ previous: sigset_t) {
        var p = previous
        _ = cpinctl_sigprocmask(SIG_SETMASK, &p, nil)
    }

    /// Runs `body`, which starts a thread, with glibc's two signals (32, 33) caught by a
    /// handler that only records them; then puts their dispositions back and sends a recorded
    /// one again, to this process, where every thread now blocks it: the wait sees it. glibc
    /// unblocks them in a new thread before its first instruction of ours can block them again
    /// (and in the caller at the first pthread_create), and a signal sent in that window was
    /// dropped (33: glibc's own handler ignores a signal it did not send itself; 32 ignored by
    /// the parent) or ended the process (32 at its default), pins and files left behind. The
    /// window lasts as long as the scheduler keeps the new thread from running: on a loaded
    /// machine, past the pin and into the hold (3 of 100 `kill -33` after the pidfile were
    /// lost with three busy loops on two cores). `body` must return only once the new thread
    /// blocks them (StoppableThread waits for it).
    static func catchingLibcSignals<R>(_ body: () throws(SyscallError) -> R) throws(SyscallError) -> R {
        var saved: [(Int32, cpinctl_kernel_sigaction)] = []
        for sig in libcInternal {
            var old = cpinctl_kernel_sigaction()
            if cpinctl_catch_signal(sig, &old) == 0 { saved.append((sig, old)) }
        }
        defer {
            for (sig, old) in saved {
                var o = old
                _ = cpinctl_restore_signal(sig, &o)
            }
            let caught = cpinctl_take_caught_signals()
            for sig in libcInternal where caught & (1 << UInt(sig - 1)) != 0 { kill(getpid(), sig) }
        }
        return try body()
    }

    /// Takes `sig` off the pending signals if it is waiting (blocked): one the kernel raised
    /// for a failure pinctl reports itself (SIGXFSZ beside EFBIG).
    public static func discard(_ sig: Int32) {
        var one = sigset_t()
        sigemptyset(&one)
        cpinctl_sigset_add(&one, sig)
        var info = siginfo_t()
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        while sigtimedwait(&one, &info, &zero) == sig {}
    }

    /// The first termination signal waiting, if any.
    public static func pendingSignal() -> Int32? {
        var p = sigset_t()
        sigpending(&p)
        return all.first { sigismember(&p, $0) == 1 }
    }

    /// A termination signal is waiting.
    public static func pending() -> Bool { pendingSignal() != nil }

    /// Waits for a termination signal; nil when `seconds` passed first (nil: wait forever).
    /// When stdout is a pipe or socket whose reader has gone (`pinctl pin ... | head -1`),
    /// that counts as SIGPIPE even if nothing more is written: checked every quarter second.
    public static func wait(seconds: Double?) -> Int32? {
        var s = set()
        let start = SuspendingClock.now
        let watchStdout = stdoutIsPipeOrSocket()
        while true {
            var slice = watchStdout ? 0.25 : 3600.0
            if let seconds {
                let left = seconds - (SuspendingClock.now - start).inSeconds
                if left <= 0 { return nil }
                slice = min(slice, left)
            }
            if watchStdout && stdoutReaderGone() { return SIGPIPE }
            var info = siginfo_t()
            var ts = timespec(tv_sec: Int(slice), tv_nsec: Int((slice - Double(Int(slice))) * 1e9))
            let sig = sigtimedwait(&s, &info, &ts)
            if sig > 0 { return sig }
            // EAGAIN: the slice ended; EINTR: a stop/continue or another signal. Keep waiting.
        }
    }

    static func stdoutIsPipeOrSocket() -> Bool {
        guard let st = try? FileDescriptor.stat(fd: 1, path: "standard output") else { return false }
        return st.st_mode & S_IFMT == S_IFIFO || st.st_mode & S_IFMT == S_IFSOCK
    }

    /// poll(2) reports POLLERR on a pipe's write end once every reader has closed it.
    static func stdoutReaderGone() -> Bool {
        var p = pollfd(fd: 1, events: 0, revents: 0)
        return poll(&p, 1, 0) == 1 && p.revents & Int16(POLLERR | POLLHUP) != 0
    }

    /// The signals a hold is meant to end by: the exit status stays 0 for them.
    public static func endsHoldNormally(_ sig: Int32) -> Bool { sig == SIGINT || sig == SIGTERM || sig == SIGHUP }

    /// The exit status after a hold that `sig` ended: 0 for SIGINT, SIGTERM and SIGHUP,
    /// else 128 + the signal, as a shell reports a process the signal killed.
    public static func exitStatus(afterHoldEndedBy sig: Int32?) -> Int32 {
        guard let sig, !endsHoldNormally(sig) else { return ExitStatus.ok }
        return 128 + sig
    }

    public static func name(_ sig: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2", SIGSTKFLT: "SIGSTKFLT", SIGPOLL: "SIGIO", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
            SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGPWR: "SIGPWR", SIGSYS: "SIGSYS",
        ]
        if let n = names[sig] { return n }
        if realtimeRange.contains(sig) { return "SIGRTMIN+\(sig - realtimeRange.lowerBound)" }
        return "signal \(sig)"
    }
}

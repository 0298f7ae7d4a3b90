#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP, blocked before any pin is taken and any thread started, so
/// they are taken synchronously: checked between pinning steps, waited for while holding.
public enum TerminationSignals {
    static func set() -> sigset_t {
        var s = sigset_t()
        sigemptyset(&s)
        sigaddset(&s, SIGINT)
        sigaddset(&s, SIGTERM)
        sigaddset(&s, SIGHUP)
        return s
    }

    public static func block() {
        var s = set()
        pthread_sigmask(SIG_BLOCK, &s, nil)
    }

    /// A termination signal is waiting.
    public static func pending() -> Bool {
        var p = sigset_t()
        sigpending(&p)
        return sigismember(&p, SIGINT) == 1 || sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGHUP) == 1
    }

    /// Waits for a termination signal; nil when `seconds` passed first (nil: wait forever).
    public static func wait(seconds: Double?) -> Int32? {
        var s = set()
        let deadline = seconds.map { MonotonicClock.now() + $0 }
        while true {
            var info = siginfo_t()
            var sig: Int32
            if let deadline {
                let left = deadline - MonotonicClock.now()
                if left <= 0 { return nil }
                var ts = timespec(tv_sec: Int(left), tv_nsec: Int((left - Double(Int(left))) * 1e9))
                sig = sigtimedwait(&s, &info, &ts)
            } else {
                sig = sigwaitinfo(&s, &info)
            }
            if sig > 0 { return sig }
            if errno == EAGAIN { return nil }
            // EINTR: a stop/continue or another signal; keep waiting.
        }
    }

    public static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(sig)"
        }
    }
}

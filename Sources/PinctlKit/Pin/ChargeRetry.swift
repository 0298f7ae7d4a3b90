#if canImport(Glibc)
    import Glibc
#endif

/// A pin the kernel refused for its memory charge (ENOMEM, EAGAIN) may only be early: after
/// a holder is SIGKILLed, the kernel returns its RLIMIT_MEMLOCK charge asynchronously (the
/// io_uring ring is torn down by a work item, ~20 ms here). So the charge is retried with
/// backoff for about 200 ms in all before the refusal is reported; a pending termination
/// signal ends the retrying at once.
enum ChargeRetry {
    /// Sleeps between attempts, in microseconds: 1 + 2 + ... + 64 + 64 ms = 191 ms.
    static let delays: [UInt32] = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 64_000]

    /// Runs `attempt` until it succeeds, fails with an errno not in `transient`, or the
    /// delays run out; returns its last result.
    static func run(transient: Set<Int32>, _ attempt: () -> Int32?) -> Int32? {
        var err = attempt()
        for delay in delays {
            guard let e = err, transient.contains(e), !TerminationSignals.pending() else { return err }
            usleep(delay)
            err = attempt()
        }
        return err
    }
}

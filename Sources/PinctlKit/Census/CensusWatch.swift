/// `--watch`: a census every interval, with the pin and unpin rates since the previous one,
/// until a count is reached or SIGINT/SIGTERM/SIGHUP arrives (taken synchronously, so the
/// loop ends between two censuses, never inside one).
public enum CensusWatch {
    /// Calls `show` with each report and its rates (nil for the first); returns the signal
    /// that ended the watch, or nil when `count` censuses were shown.
    public static func run(
        interval: Double, count: Int?, options: CensusOptions, show: (CensusReport, PinRates?) -> Void
    ) throws(PinctlError) -> Int32? {
        TerminationSignals.block()
        var previous: (FollPinCounters, SuspendingClock.Instant)?
        var shown = 0
        while true {
            let report = try Census.take(options)
            let now = SuspendingClock.now
            var rates: PinRates?
            if let (old, then) = previous, let new = report.totals.follPin {
                rates = PinRates(from: old, to: new, seconds: (now - then).inSeconds)
            }
            if let pin = report.totals.follPin { previous = (pin, now) }
            show(report, rates)
            shown += 1
            if let count, shown >= count { return nil }
            if let sig = TerminationSignals.wait(seconds: interval) { return sig }
        }
    }
}

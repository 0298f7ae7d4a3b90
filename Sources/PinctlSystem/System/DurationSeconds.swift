/// pinctl's timings come from the standard library's SuspendingClock (CLOCK_MONOTONIC on
/// Linux, as a timeout that started before a suspend expects); reports and rates print
/// them as seconds with a fraction.
extension Duration {
    /// This duration in seconds.
    package var inSeconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) * 1e-18
    }
}

/// Pins and unpins per second between two readings of the FOLL_PIN counters (`--watch`).
public struct PinRates: Codable, Sendable, Equatable {
    public var acquiredPerSecond: Double
    public var releasedPerSecond: Double
    public var seconds: Double

    /// nil when a counter went backwards (it never does: a reboot or another machine) or no
    /// time passed.
    public init?(from old: FollPinCounters, to new: FollPinCounters, seconds: Double) {
        guard seconds > 0, new.acquired >= old.acquired, new.released >= old.released else { return nil }
        acquiredPerSecond = Double(new.acquired - old.acquired) / seconds
        releasedPerSecond = Double(new.released - old.released) / seconds
        self.seconds = seconds
    }
}

/// What `pinctl pin` did, printed once the pin is in place.
public struct PinReport: Codable, Sendable {
    public var pid: Int32
    public var method: String
    /// Why `auto` chose the method (nil when the user named it).
    public var chosenBecause: String?
    public var detail: String
    public var range: String
    public var start: String
    public var end: String
    public var backing: String
    public var bytes: UInt64
    public var pages: UInt64
    /// Pages resident after pinning (pagemap present bit).
    public var residentPages: UInt64
    /// Pages held by a pin or lock: 0 for populate.
    public var pinnedPages: UInt64
    /// Runs of physically contiguous pages.
    public var pfnRuns: UInt64
    public var totalMs: Double
    public var pagesPerSecond: Double
    /// /proc/self/status after pinning.
    public var vmLck: UInt64?
    public var vmPin: UInt64?
    public var verify: VerifyReport?
}

/// One method's answer in `pin --dry-run`.
public struct MethodVerdict: Codable, Sendable {
    public var method: String
    public var works: Bool
    public var reasons: [String]
}

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
    /// Runs of physically contiguous pages; null when every page maps the shared zero page,
    /// or when the PFNs were hidden (`pfnHidden`).
    public var pfnRuns: UInt64?
    public var totalMs: Double
    public var pagesPerSecond: Double
    /// /proc/self/status after pinning.
    public var vmLck: UInt64?
    public var vmPin: UInt64?
    public var verify: VerifyReport?
    /// pagemap (or /dev/pinctl) showed no PFNs: the caller lacks CAP_SYS_ADMIN, so the
    /// physical runs are unknown.
    public var pfnHidden: Bool = false
    /// A file: range whose +LEN ran past the end of the file: what was trimmed (absent otherwise).
    public var trimmed: String?
    /// file:DIR: the regular files locked (absent for other ranges).
    public var files: UInt64? = nil
    /// Several ranges in one pin: each range's own report; the fields above are their sums
    /// (absent for one range).
    public var parts: [PinReport]? = nil

    enum CodingKeys: String, CodingKey {
        case pid, method, chosenBecause, detail, range, start, end, backing, bytes, pages, residentPages, pinnedPages
        case pfnRuns, pfnHidden, totalMs, pagesPerSecond, vmLck, vmPin, verify, trimmed, files, parts
    }

    /// `pfnRuns` is written as null rather than left out, like every contract field.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pid, forKey: .pid)
        try c.encode(method, forKey: .method)
        try c.encodeIfPresent(chosenBecause, forKey: .chosenBecause)
        try c.encode(detail, forKey: .detail)
        try c.encode(range, forKey: .range)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encode(backing, forKey: .backing)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(pages, forKey: .pages)
        try c.encode(residentPages, forKey: .residentPages)
        try c.encode(pinnedPages, forKey: .pinnedPages)
        try c.encode(pfnRuns, forKey: .pfnRuns)
        try c.encode(pfnHidden, forKey: .pfnHidden)
        try c.encode(totalMs, forKey: .totalMs)
        try c.encode(pagesPerSecond, forKey: .pagesPerSecond)
        try c.encodeIfPresent(vmLck, forKey: .vmLck)
        try c.encodeIfPresent(vmPin, forKey: .vmPin)
        try c.encodeIfPresent(verify, forKey: .verify)
        try c.encodeIfPresent(trimmed, forKey: .trimmed)
        try c.encodeIfPresent(files, forKey: .files)
        try c.encodeIfPresent(parts, forKey: .parts)
    }
}

/// One method's answer in `pin --dry-run`.
public struct MethodVerdict: Codable, Sendable {
    public var method: String
    public var works: Bool
    public var reasons: [String]
}

#if canImport(Glibc)
    import Glibc
#endif

/// `pinctl module bench`: the KernelHelper's BENCH ioctl (GUP of a populated range and its
/// release, timed inside the kernel as mm/gup_test.c does) beside the PIN and UNPIN ioctls of
/// the same range timed from user space, so the ioctl path's cost shows against the kernel's
/// own pinning. Medians over the iterations; each iteration runs BENCH once, then PIN, then
/// UNPIN.
public struct KernelBenchReport: Codable, Sendable {
    public var range: String
    public var start: String
    public var pages: UInt64
    public var bytes: UInt64
    /// The GUP call and its flags, e.g. "pin_user_pages_fast(FOLL_WRITE|FOLL_LONGTERM)".
    public var call: String
    public var iterations: Int
    public var kernelPinMs: Double
    public var kernelUnpinMs: Double
    public var ioctlPinMs: Double
    public var ioctlUnpinMs: Double
    public var pinRatio: Double
    public var unpinRatio: Double
    public var cycleRatio: Double
}

public enum KernelBench {
    public static let maxIterations = 1000

    public struct Options: Sendable {
        public var write = false
        public var longterm = true
        /// FOLL_GET references instead of pins (never long-term).
        public var get = false
        /// pin_user_pages_fast() rather than pin_user_pages() under the mmap lock.
        public var fast = true
        public var iterations = 5
        public init() {}
    }

    /// `--iterations`: a decimal count from 1 to maxIterations.
    public static func parseIterations(_ text: String) throws(PinctlError) -> Int {
        guard let n = NumberParsing.parseUInt64(Substring(text)), (1...UInt64(maxIterations)).contains(n) else {
            throw .invalidInput("--iterations '\(text)': give a count from 1 to \(maxIterations)")
        }
        return Int(n)
    }

    public static func run(_ spec: PinRangeSpec, _ options: Options) throws(PinctlError) -> KernelBenchReport {
        guard (1...maxIterations).contains(options.iterations) else {
            throw .invalidInput("\(options.iterations) iterations: give a count from 1 to \(maxIterations)")
        }
        guard let helper = try KernelHelper.open() else {
            throw .refused("/dev/pinctl is not there: load the KernelHelper module first (pinctl module load)")
        }
        let range = try MappedRange(spec, write: options.write)
        defer { range.unmap() }
        try PopulatePin.populate(
            range, write: options.write, progress: PinProgress(label: "populate", total: range.pages, toTTY: false))

        var flags: KernelPinFlags = []
        if options.fast { flags.insert(.fast) }
        if options.get { flags.insert(.get) }
        if options.write { flags.insert(.write) }
        if options.longterm && !options.get { flags.insert(.longterm) }

        var kernelPin: [Double] = []
        var kernelUnpin: [Double] = []
        var ioctlPin: [Double] = []
        var ioctlUnpin: [Double] = []
        for _ in 0..<options.iterations {
            let (getNs, putNs) = try helper.bench(addr: range.base, pages: range.pages, flags: flags, iterations: 1)
            kernelPin.append(Double(getNs) / 1e6)
            kernelUnpin.append(Double(putNs) / 1e6)
            let t0 = SuspendingClock.now
            let (handle, _) = try helper.pin(addr: range.base, pages: range.pages, flags: flags)
            let t1 = SuspendingClock.now
            _ = try helper.unpin(handle: handle)
            let t2 = SuspendingClock.now
            ioctlPin.append((t1 - t0).inSeconds * 1e3)
            ioctlUnpin.append((t2 - t1).inSeconds * 1e3)
        }
        let kp = median(kernelPin)
        let ku = median(kernelUnpin)
        let ip = median(ioctlPin)
        let iu = median(ioctlUnpin)
        return KernelBenchReport(
            range: spec.description, start: hex(range.base), pages: range.pages, bytes: range.length,
            call: callName(flags), iterations: options.iterations, kernelPinMs: kp, kernelUnpinMs: ku,
            ioctlPinMs: ip, ioctlUnpinMs: iu, pinRatio: ratio(ip, kp), unpinRatio: ratio(iu, ku),
            cycleRatio: ratio(ip + iu, kp + ku))
    }

    static func callName(_ flags: KernelPinFlags) -> String {
        let verb = flags.contains(.get) ? "get_user_pages" : "pin_user_pages"
        let foll = [flags.contains(.write) ? "FOLL_WRITE" : nil, flags.contains(.longterm) ? "FOLL_LONGTERM" : nil]
            .compactMap { $0 }
        return verb + (flags.contains(.fast) ? "_fast" : "") + "(\(foll.isEmpty ? "0" : foll.joined(separator: "|")))"
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    static func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `--method`: a named method or `auto`.
public enum PinMethodChoice: Equatable, Sendable {
    case auto
    case method(PinMethod)
}

public struct PinOptions: Sendable {
    public var method: PinMethodChoice = .auto
    public var write = false
    /// --write may map a file another user owns (refused otherwise).
    public var writeOthersFiles = false
    public var onFault = false
    /// /dev/pinctl is there: `auto` prefers the kernel helper.
    public var kmodLoaded = false
    /// file:DIR locks the files it can open and leaves out the others (each named) instead
    /// of failing.
    public var skipFailedFiles = false

    public init(method: PinMethodChoice = .auto, write: Bool = false, onFault: Bool = false) {
        self.method = method
        self.write = write
        self.onFault = onFault
    }
}

/// Maps a range, pins it by one method, reports, verifies, and releases everything.
public final class PinSession {
    public let range: MappedRange
    public let pinner: Pinner
    public let chosenBecause: String?
    let options: PinOptions
    private var released = false
    /// The memory cgroup's pin lock, from the memory check until the pages are charged.
    private var admission: CgroupPinLock?

    /// Picks the method, checks that the range fits in memory, then maps it; nothing is
    /// pinned yet, and nothing is created when a check fails.
    public init(spec: PinRangeSpec, options: PinOptions, makePinner: (PinMethod) throws(PinctlError) -> Pinner) throws(PinctlError) {
        self.options = options
        let (backing, bytes) = try PinPreflight.describe(spec)
        switch options.method {
        case .method(let m):
            pinner = try makePinner(m)
            chosenBecause = nil
        case .auto:
            let (m, why) = Self.choose(backing: backing, bytes: bytes, write: options.write, kmodLoaded: options.kmodLoaded)
            pinner = try makePinner(m)
            chosenBecause = why
        }
        let zeroFill = (pinner as? UffdPin).map { $0.fill == .zero } ?? false
        let need = PinPreflight.newMemory(spec, method: pinner.method, write: options.write, uffdZeroFill: zeroFill, fileBytes: bytes)
        if need > 0 {
            // Held until pin() has charged the pages, so concurrent pins see each other's.
            let cgroups = MemoryHeadroom.cgroupLimits()
            if let tight = cgroups.min(by: { $0.headroom < $1.headroom }) {
                admission = try CgroupPinLock.acquire(tight.directory, what: spec.description)
            }
            let again = admission == nil ? cgroups : MemoryHeadroom.cgroupLimits()
            if let why = MemoryHeadroom.shortfall(need, what: "\(spec) by \(pinner.method.rawValue)", cgroups: again) {
                throw .refused(why)
            }
        }
        // A file is mapped no larger than it was checked: it may have grown since.
        range = try MappedRange(
            spec, write: options.write, writeOthersFiles: options.writeOthersFiles, admitted: backing == .file ? bytes : nil)
    }

    /// The strongest method the range and kernel allow, and why.
    public static func choose(backing: MappedRange.Backing, bytes: UInt64, write: Bool = false, kmodLoaded: Bool = false) -> (
        PinMethod, String
    ) {
        if kmodLoaded && !(backing == .file && write) {
            return (.kmod, "the KernelHelper module is loaded: pin_user_pages_fast with FOLL_LONGTERM, the kernel's own pinning")
        }
        if backing == .file {
            return (.mlock, "io_uring cannot long-term pin file-backed page cache, so mlock (resident, but movable)")
        }
        if !ProcessLimits.memlockAllows(bytes) {
            return (.mlock, "RLIMIT_MEMLOCK is below \(humanBytes(bytes)) and io_uring would be refused, so mlock")
        }
        if let why = IoUringPin.unavailableReason() {
            return (.mlock, "\(why), so mlock")
        }
        return (
            .iouring,
            "io_uring registered buffers take long-term FOLL_PIN pins on \(backing.rawValue) memory: the strongest method without the kernel helper"
        )
    }

    /// Pins the whole range; on failure nothing is left pinned or mapped.
    public func pin() throws(PinctlError) -> PinReport {
        let progress = PinProgress(label: "pinning \(range.spec) by \(pinner.method.rawValue)", total: range.length) {
            TerminationSignals.pending()
        }
        let t0 = SuspendingClock.now
        defer { admission = nil }
        do {
            try pinner.pin(range, write: options.write, progress: progress)
        } catch {
            release()
            throw error
        }
        let elapsed = (SuspendingClock.now - t0).inSeconds
        // A zero-page fill has one PFN for every page: nothing to count, so nothing is read.
        let zeroPage = (pinner as? UffdPin)?.mapsSharedZeroPage ?? false
        let (resident, runs): (UInt64, UInt64?)
        var pfnHidden = false
        if zeroPage {
            (resident, runs) = (range.pages, nil)
        } else {
            let c = try PfnSnapshot.count(base: range.base, pages: range.pages)
            (resident, runs) = (c.present, c.runs)
            pfnHidden = c.present > 0 && c.runs == nil
        }
        let status = ProcStatus.parse((try? readProcText("/proc/self/status")) ?? "")
        return PinReport(
            pid: getpid(), method: pinner.method.rawValue, chosenBecause: chosenBecause, detail: pinner.detail,
            range: range.spec.description, start: hex(range.base), end: hex(range.base + range.length),
            backing: range.backing.rawValue, bytes: range.length, pages: range.pages, residentPages: resident,
            pinnedPages: pinner.holdsPages ? resident : 0, pfnRuns: runs,
            totalMs: elapsed * 1000, pagesPerSecond: elapsed > 0 ? Double(range.pages) / elapsed : 0,
            vmLck: status.vmLck, vmPin: status.vmPin, verify: nil, pfnHidden: pfnHidden, trimmed: range.trimmed)
    }

    public func verify() throws(PinctlError) -> VerifyReport {
        try PinVerifier.verify(range)
    }

    /// Undoes every pin and lock and unmaps; safe to call more than once.
    public func release() {
        guard !released else { return }
        released = true
        pinner.release()
        range.unmap()
    }

    deinit { release() }
}

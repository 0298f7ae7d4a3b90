#if canImport(Glibc)
    import Glibc
#endif

/// The ways `pinctl pin` can hold memory in place.
public enum PinMethod: String, CaseIterable, Codable, Sendable {
    /// MADV_POPULATE_READ/WRITE: faults in, pins nothing (the baseline).
    case populate
    /// mlock2: resident and unevictable, but movable (migration and compaction still apply).
    case mlock
    /// IORING_REGISTER_BUFFERS: a long-term FOLL_PIN taken from user space.
    case iouring
    /// userfaultfd: the range is populated by UFFDIO_ZEROPAGE/COPY and faults are served.
    case uffd
    /// The KernelHelper module (/dev/pinctl): pin_user_pages_fast, long-term by default.
    case kmod
}

/// One way of pinning a mapped range. `pin` either pins the whole range or throws with
/// nothing left pinned; `release` undoes every pin and may be called more than once.
public protocol Pinner: AnyObject {
    var method: PinMethod { get }
    /// Whether the method keeps pages in place (false for populate).
    var holdsPages: Bool { get }
    /// How it pinned, for the report ("3 buffers", "MLOCK_ONFAULT").
    var detail: String { get }
    func pin(_ range: MappedRange, write: Bool, progress: PinProgress) throws(PinctlError)
    func release()
}

/// Walks a range in steps so long operations can show progress and stop on SIGINT/SIGTERM.
public final class PinProgress {
    let label: String
    let total: UInt64
    let start = SuspendingClock.now
    let show: Bool
    let shouldStop: () -> Bool
    private var shown = false

    public init(label: String, total: UInt64, toTTY: Bool = isatty(2) == 1, shouldStop: @escaping () -> Bool = { false }) {
        self.label = label
        self.total = total
        self.show = toTTY
        self.shouldStop = shouldStop
    }

    /// Calls `body(offset, length)` for each step of at most `step` bytes of [0, total).
    public func forEachStep(_ step: UInt64, _ body: (UInt64, UInt64) throws(PinctlError) -> Void) throws(PinctlError) {
        var off: UInt64 = 0
        while off < total {
            if shouldStop() {
                let by = TerminationSignals.pendingSignal().map(TerminationSignals.name) ?? "a signal"
                throw .interrupted("\(label) interrupted by \(by) after \(humanBytes(off)) of \(humanBytes(total)): released")
            }
            let len = min(step, total - off)
            try body(off, len)
            off += len
            report(off)
        }
        finish()
    }

    func report(_ done: UInt64) {
        guard show, SuspendingClock.now - start > .seconds(1) else { return }
        shown = true
        let pct = total == 0 ? 100 : done * 100 / total
        printError("\r\(label): \(pct)% (\(humanBytes(done)) of \(humanBytes(total)))\u{1b}[K", newline: false)
    }

    func finish() {
        if shown { printError("") }
        shown = false
    }
}

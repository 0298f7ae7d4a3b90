/// Where a streamed `inspect` goes: the head (process, target) first, then each VMA as
/// smaps is read and the rows a chunk at a time as the walker closes them (without rows the
/// VMAs come as their pages are walked; with rows, all after the rows). The caller renders
/// the rest (summary, notes) from the report `Inspector.inspect` returns, whose `vmas` and
/// `pages` are then empty: only the summary is held, so memory does not grow with the
/// number of VMAs (a process may have 65,530 by default) or pages.
public protocol InspectSink: AnyObject {
    func begin(_ head: InspectHead) throws(PinctlError)
    /// One VMA the target touches, with its smaps counters, in address order.
    func vma(_ v: VMAReport) throws(PinctlError)
    /// Rows in address order; the buffer is reused once this returns.
    func rows(_ rows: UnsafeBufferPointer<PageRowFacts>) throws(PinctlError)
}

/// What is known before the pages are walked.
public struct InspectHead: Sendable {
    public var pid: Int32
    public var target: String
    public var kernel: String

    package init(pid: Int32, target: String, kernel: String) {
        self.pid = pid
        self.target = target
        self.kernel = kernel
    }
}

/// A streaming renderer of `pinctl inspect` to a descriptor: the head and rows as the walk
/// produces them (`InspectSink`), then the rest of the report, or an error.
public protocol InspectWriter: InspectSink {
    /// After a full walk: the summary, notes, and whatever closes the output.
    func finish(_ report: InspectReport) throws(PinctlError)
    /// After a failure. Writes what the format says a failed report ends with, and returns
    /// whether stdout now carries the error (so no second error object is printed).
    func fail(_ error: PinctlError) -> Bool
}

/// Where a streamed `inspect` goes: the head (process, target, VMAs) before the first row,
/// then the rows a chunk at a time as the walker closes them. The caller renders the rest
/// (summary, notes) from the report `Inspector.inspect` returns, whose `pages` is then empty.
/// Only the summary and the per-VMA facts are ever held whole.
public protocol InspectSink: AnyObject {
    func begin(_ head: InspectHead) throws(PinctlError)
    /// Rows in address order; the buffer is reused once this returns.
    func rows(_ rows: UnsafeBufferPointer<PageRowFacts>) throws(PinctlError)
}

/// What is known before the pages are walked.
public struct InspectHead: Sendable {
    public var pid: Int32
    public var target: String
    public var kernel: String
    public var vmas: [VMAReport]

    package init(pid: Int32, target: String, kernel: String, vmas: [VMAReport]) {
        self.pid = pid
        self.target = target
        self.kernel = kernel
        self.vmas = vmas
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

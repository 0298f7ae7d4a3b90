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
}

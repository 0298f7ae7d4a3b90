/// A streaming renderer of `pinctl inspect` to a descriptor: the head and rows as the walk
/// produces them (`InspectSink`), then the rest of the report, or an error.
public protocol InspectWriter: InspectSink {
    /// After a full walk: the summary, notes, and whatever closes the output.
    func finish(_ report: InspectReport) throws(PinctlError)
    /// After a failure. Writes what the format says a failed report ends with, and returns
    /// whether stdout now carries the error (so no second error object is printed).
    func fail(_ error: PinctlError) -> Bool
}

/// The format `inspect` writes.
public enum InspectFormat: Sendable {
    case text(showPages: Bool)
    case json
    case jsonLines

    /// A writer of this format to `fd` (stdout by default).
    public func writer(fd: Int32 = 1) -> any InspectWriter {
        switch self {
        case .text(let showPages): return InspectTextWriter(fd: fd, showPages: showPages)
        case .json: return InspectJSONWriter(fd: fd)
        case .jsonLines: return InspectJSONLinesWriter(fd: fd)
        }
    }
}

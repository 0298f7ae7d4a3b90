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

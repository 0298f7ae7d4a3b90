/// The format `maps` writes.
public enum MapsFormat: Sendable {
    case text
    case json

    /// A writer of this format to `fd` (stdout by default).
    public func writer(fd: Int32 = 1) -> any MapsWriter {
        switch self {
        case .text: return MapsTextWriter(fd: fd)
        case .json: return MapsJSONWriter(fd: fd)
        }
    }
}

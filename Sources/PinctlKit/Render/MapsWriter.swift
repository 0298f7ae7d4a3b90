/// A streaming renderer of `pinctl maps` to a descriptor: the head, each VMA as smaps is
/// read, then whatever closes the output, or an error.
public protocol MapsWriter: AnyObject {
    func begin(_ head: MapsHead) throws(PinctlError)
    func vma(_ v: VMAReport) throws(PinctlError)
    func finish() throws(PinctlError)
    /// After a failure. Writes what the format says a failed report ends with, and returns
    /// whether stdout now carries the error (so no second error object is printed).
    func fail(_ error: PinctlError) -> Bool
}

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

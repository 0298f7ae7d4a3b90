/// What `--json` prints on stdout when a command fails: the message (also on stderr) and
/// the exit status, so a script reading stdout never gets an empty document.
public struct ErrorReport: Codable, Sendable {
    public var error: String
    public var exitStatus: Int32
    /// The process the error is about, when it is about one.
    public var pid: Int32?

    public init(error: String, exitStatus: Int32, pid: Int32? = nil) {
        self.error = error
        self.exitStatus = exitStatus
        self.pid = pid
    }

    public init(_ e: PinctlError) {
        var pid: Int32? = nil
        if case .processNotFound(let p) = e { pid = p }
        self.init(error: e.description, exitStatus: e.exitStatus, pid: pid)
    }
}

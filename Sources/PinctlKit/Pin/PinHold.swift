#if canImport(Glibc)
    import Glibc
#endif

/// The life of a pin around its pinning: under a service manager (NOTIFY_SOCKET), the start
/// timeout extended while pinning; once the pin is in place and its report printed, the
/// pidfile, READY=1 with a STATUS line, the hold until a termination signal or the hold
/// time, STOPPING=1 and the pidfile removed. The caller releases the pins afterwards.
///
/// Termination signals must be blocked (`TerminationSignals.block()`) before any thread
/// starts, the start timeout extender's included, so that the hold takes them synchronously.
public struct PinHold {
    /// What the hold tells the user, in order; the caller renders it.
    public enum Event: Equatable, Sendable {
        /// The hold began: until a termination signal, or for `seconds` (not sent when the
        /// hold is 0 s or a signal is already waiting).
        case holding(pid: Int32, seconds: Double?)
        /// The service manager could not be told something: a warning, never a failure.
        case notifyWarning(String)
        /// The hold ended, `why` naming the signal or "hold time over"; the pidfile is
        /// removed and everything is released next.
        case released(range: String, why: String)
    }

    /// How long to hold: nil until a termination signal, 0 to release at once.
    public var seconds: Double?
    /// Prepared before anything was pinned; written once the pin is in place.
    public var pidfile: Pidfile?
    public var notifier: SystemdNotifier?
    /// Stopped when the pin is in place (READY=1), or by the caller on the way out.
    public var startup: StartTimeoutExtender?

    public init(
        seconds: Double?, pidfile: Pidfile? = nil, notifier: SystemdNotifier? = nil, startup: StartTimeoutExtender? = nil
    ) {
        self.seconds = seconds
        self.pidfile = pidfile
        self.notifier = notifier
        self.startup = startup
    }

    /// Under a Type=notify unit: the thread that extends the start timeout every `interval`
    /// seconds while the pin makes progress, running until READY=1 (or the way out). `what`
    /// names the ranges in its STATUS lines.
    public static func startExtending(_ notifier: SystemdNotifier, interval: Double, what: String) throws(PinctlError)
        -> StartTimeoutExtender
    {
        do {
            let e = try StartTimeoutExtender(notifier: notifier, interval: interval, what: what)
            try e.start()
            return e
        } catch {
            throw .system(error)
        }
    }

    /// Holds the pin of `range`, whose report has been printed (`status`: its STATUS= line
    /// for the service manager). Returns the exit status: 0 after the hold time, SIGINT,
    /// SIGTERM or SIGHUP; 128 + N after any other termination signal N (SIGPIPE from a
    /// closed stdout, SIGQUIT, SIGALRM...).
    /// `announce` prints the report: called once the pidfile is pinctl's, so that a pin
    /// that lost its pidfile to another one fails before it says it succeeded.
    public func hold(range: String, status: String, announce: () -> Void = {}, _ event: (Event) -> Void) throws(PinctlError) -> Int32 {
        try pidfile?.write()
        defer { pidfile?.remove() }
        announce()
        // Under a Type=notify unit: systemctl start returns now, with the pin in place.
        startup?.stop()
        if let warning = notifier?.ready(status: status) { event(.notifyWarning(warning)) }
        if seconds != 0 && !TerminationSignals.pending() { event(.holding(pid: getpid(), seconds: seconds)) }
        let sig = TerminationSignals.wait(seconds: seconds)
        let why = sig.map(TerminationSignals.name) ?? "hold time over"
        if let warning = notifier?.stopping(status: "releasing \(range) (\(why))") { event(.notifyWarning(warning)) }
        event(.released(range: range, why: why))
        return TerminationSignals.exitStatus(afterHoldEndedBy: sig)
    }
}

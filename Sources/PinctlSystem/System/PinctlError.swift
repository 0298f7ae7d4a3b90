/// Every failure pinctl reports, each with its own exit status and a one-line message
/// that names the input and the fix.
public enum PinctlError: Error, Equatable, CustomStringConvertible {
    /// The user typed something pinctl cannot use (a target, a pid, a size).
    case invalidInput(String)
    /// The process is gone or never existed.
    case processNotFound(pid: Int32)
    /// The process has no address space to read (kernel thread, zombie), or it went away
    /// (exit, execve) while it was read: no report, rather than a partial one.
    case noAddressSpace(String)
    /// The kernel refused access (ptrace rights for another pid, or a root-only file).
    case permissionDenied(String)
    /// The address or range is in no VMA, or the mapping name matches none.
    case notMapped(String)
    /// A system call failed in a way none of the above explains.
    case system(SyscallError)
    /// The kernel refused a pin for a reason the message explains, with the fix.
    case refused(String)
    /// SIGINT or SIGTERM arrived while pinning; everything was released.
    case interrupted(String)
    /// The host lacks what the command reads (no /proc mounted), said before any read.
    case unavailable(String)
    /// Some of what was asked could not be had (files of a tree that could not be opened,
    /// each named on stderr before); nothing was kept.
    case incomplete(String)

    public var exitStatus: Int32 {
        switch self {
        case .system, .unavailable: return ExitStatus.failure
        case .invalidInput: return ExitStatus.invalidInput
        case .processNotFound, .noAddressSpace: return ExitStatus.processNotFound
        case .permissionDenied: return ExitStatus.permissionDenied
        case .notMapped: return ExitStatus.notMapped
        case .refused: return ExitStatus.refused
        case .interrupted: return ExitStatus.interrupted
        case .incomplete: return ExitStatus.incomplete
        }
    }

    public var description: String {
        switch self {
        case .invalidInput(let m), .permissionDenied(let m), .notMapped(let m), .refused(let m), .interrupted(let m),
            .noAddressSpace(let m), .unavailable(let m), .incomplete(let m):
            return m
        case .processNotFound(let pid):
            return "process \(pid) not found: it has exited or never existed (check the pid with `ps -p \(pid)`)"
        case .system(let e): return e.description
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The process being looked at: `self` or a pid, with its /proc files and the mapping of
/// their errors to what the user can do about them.
public struct ProcessRef: Equatable, Sendable, CustomStringConvertible {
    public let pid: Int32
    public let isSelf: Bool

    public static var current: ProcessRef { ProcessRef(pid: getpid(), isSelf: true) }
    public init(pid: Int32, isSelf: Bool = false) {
        self.pid = pid
        self.isSelf = isSelf
    }

    /// "self" or a decimal pid.
    public static func parse(_ text: String) throws(PinctlError) -> ProcessRef {
        if text == "self" { return .current }
        guard let v = NumberParsing.parseDigits(Substring(text), radix: 10), v > 0, v <= UInt64(Int32.max) else {
            throw .invalidInput("'\(text)' is not a process: give a pid (a positive decimal number) or 'self'")
        }
        let pid = Int32(v)
        return ProcessRef(pid: pid, isSelf: pid == getpid())
    }

    public var description: String { isSelf ? "self (\(pid))" : "\(pid)" }

    public func path(_ file: String) -> String { "/proc/\(pid)/\(file)" }

    /// Opens /proc/PID/FILE, turning ENOENT/ESRCH and EACCES/EPERM into their own errors.
    public func open(_ file: String) throws(PinctlError) -> FileDescriptor {
        do {
            return try FileDescriptor.openReadOnly(path(file))
        } catch {
            throw classify(error, file: file)
        }
    }

    /// Reads /proc/PID/FILE as text with the same error mapping.
    public func readText(_ file: String) throws(PinctlError) -> String {
        let fd = try open(file)
        do {
            return String(decoding: try fd.readAll(), as: UTF8.self)
        } catch {
            throw classify(error, file: file)
        }
    }

    public func classify(_ error: SyscallError, file: String) -> PinctlError {
        switch error.errno {
        case ENOENT, ESRCH:
            return .processNotFound(pid: pid)
        case EACCES, EPERM:
            return .permissionDenied(
                "\(path(file)): \(error.errnoName): reading another process's memory map needs ptrace read access: run as that process's user, or as root (CAP_SYS_PTRACE)"
            )
        default:
            return .system(error)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The process being looked at: `self` or a pid, with its /proc files and the mapping of
/// their errors to what the user can do about them.
public struct ProcessRef: Equatable, Sendable, CustomStringConvertible {
    public let pid: Int32
    public let isSelf: Bool

    /// This process, by the pid /proc gives it (getpid() where /proc cannot say).
    public static var current: ProcessRef { ProcessRef(pid: ProcMount.selfPid() ?? getpid(), isSelf: true) }
    public init(pid: Int32, isSelf: Bool = false) {
        self.pid = pid
        self.isSelf = isSelf
    }

    /// PID_MAX_LIMIT on 64-bit kernels: no pid is above it, whatever kernel.pid_max says.
    public static let pidMaxLimit: UInt64 = 4_194_304

    /// "self" or a pid written as plain decimal digits: no sign, blanks, '_', 0x or leading
    /// zero (which other tools read as octal), so no text is read as a pid it does not say.
    public static func parse(_ text: String) throws(PinctlError) -> ProcessRef {
        if text == "self" { return .current }
        let digits = text.utf8
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalidInput("'\(text)' is not a process: give a pid in plain decimal digits (e.g. 1234) or 'self'")
        }
        guard digits.first != UInt8(ascii: "0") else {
            throw .invalidInput(
                "'\(text)' is not a process: \(digits.count == 1 ? "pid 0 is the kernel's idle task, not a process" : "write the pid without leading zeros")"
            )
        }
        guard digits.count <= 7, let v = NumberParsing.digits(digits, radix: 10), v <= pidMaxLimit else {
            throw .invalidInput("'\(text)' is not a process: pids run from 1 to \(pidMaxLimit)")
        }
        let pid = Int32(v)
        return ProcessRef(pid: pid, isSelf: pid == (ProcMount.selfPid() ?? getpid()))
    }

    public var description: String { isSelf ? "self (\(pid))" : "\(pid)" }

    /// This process's own directory is /proc/self: in a new pid namespace whose /proc is
    /// the parent's, /proc/GETPID names another process (or none).
    public var directory: String { isSelf ? "/proc/self" : "/proc/\(pid)" }

    public func path(_ file: String) -> String { "\(directory)/\(file)" }

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
            return String(decoding: try ProcFileReader.bytes(of: fd), as: UTF8.self)
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

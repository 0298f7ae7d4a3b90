import CPinctl

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed system call: which call, on what object, and errno by name and text.
public struct SyscallError: Error, Equatable, CustomStringConvertible {
    public let call: String
    public let object: String
    public let errno: Int32
    /// What to do about it, when the caller knows (a full disk: where to free space);
    /// appended to the one line.
    public var advice: String? = nil

    public init(call: String, object: String, errno: Int32) {
        self.call = call
        self.object = object
        self.errno = errno
    }

    /// "EACCES", or "errno 4242" for a value the C library has no name for.
    public var errnoName: String { Self.name(of: errno) }

    public static func name(of err: Int32) -> String {
        if let p = cpinctl_errno_name(err) { return String(cString: p) }
        return "errno \(err)"
    }

    public var description: String {
        "\(call)(\(object)) failed: \(errnoName) (\(String(cString: strerror(errno))))"
            + ((advice ?? Self.defaultAdvice(errno)).map { ": " + $0 } ?? "")
    }

    /// What to do about a failure whose cause is pinctl's own limits, not the object's,
    /// where the caller gave no advice of its own.
    static func defaultAdvice(_ err: Int32) -> String? {
        switch err {
        case EMFILE:
            return
                "pinctl is out of file descriptors (RLIMIT_NOFILE \(ProcessLimits.softLimitText(__rlimit_resource_t(RLIMIT_NOFILE.rawValue)))): raise `ulimit -n` (LimitNOFILE= in a unit)"
        case ENFILE: return "the system's file table is full (fs.file-max): close files or raise it"
        default: return nil
        }
    }
}

/// Captures errno of the call that just failed.
@inline(__always)
package func lastError(_ call: String, _ object: String) -> SyscallError {
    SyscallError(call: call, object: object, errno: errno)
}

extension SyscallError {
    /// The call was cut short by a signal (EINTR): only an `interruptibleSystemCall` fails so.
    public var interrupted: Bool { errno == EINTR }
}

/// Calls a system call that fails with a negative result and errno, restarting it while a
/// signal interrupts it (EINTR): the one place pinctl retries an interrupted call. Never
/// for close(2). `object` is built only on failure.
@inline(__always)
package func systemCall<R: BinaryInteger>(_ call: String, _ object: @autoclosure () -> String, _ body: () -> R) throws(SyscallError) -> R {
    while true {
        let r = body()
        if r >= 0 { return r }
        if errno == EINTR { continue }
        throw SyscallError(call: call, object: object(), errno: errno)
    }
}

/// `systemCall` without the restart: EINTR fails as `interrupted`, for a call that reports
/// partial progress (the caller decides what to repeat) or a wait that must see a signal.
@inline(__always)
package func interruptibleSystemCall<R: BinaryInteger>(
    _ call: String, _ object: @autoclosure () -> String, _ body: () -> R
) throws(SyscallError) -> R {
    let r = body()
    if r >= 0 { return r }
    throw SyscallError(call: call, object: object(), errno: errno)
}

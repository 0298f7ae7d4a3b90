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
        "\(call)(\(object)) failed: \(errnoName) (\(String(cString: strerror(errno))))" + (advice.map { ": " + $0 } ?? "")
    }
}

/// Captures errno of the call that just failed.
@inline(__always)
package func lastError(_ call: String, _ object: String) -> SyscallError {
    SyscallError(call: call, object: object, errno: errno)
}

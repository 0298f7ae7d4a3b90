#if canImport(Glibc)
    import Glibc
#endif

/// What this process may lock or pin: RLIMIT_MEMLOCK here, CAP_IPC_LOCK (read from /proc)
/// in PinctlKernel.
public enum ProcessLimits {
    public static let capIPCLock = 14
    public static let capSysAdmin = 21

    /// The soft limit of `resource` (RLIMIT_*); nil when unlimited or unreadable.
    public static func softLimit(_ resource: __rlimit_resource_t) -> UInt64? {
        var r = rlimit()
        guard getrlimit(resource, &r) == 0 else { return nil }
        return r.rlim_cur == rlim_t.max ? nil : UInt64(r.rlim_cur)
    }

    /// `softLimit` as an error message says it: the number, or "unlimited".
    package static func softLimitText(_ resource: __rlimit_resource_t) -> String {
        softLimit(resource).map { String($0) } ?? "unlimited"
    }

    /// The soft RLIMIT_MEMLOCK in bytes; nil when unlimited.
    public static func memlockLimit() -> UInt64? { softLimit(__rlimit_resource_t(8 /* RLIMIT_MEMLOCK */)) }

    /// The soft RLIMIT_AS (`ulimit -v`) in bytes; nil when unlimited.
    public static func addressSpaceLimit() -> UInt64? { softLimit(__rlimit_resource_t(RLIMIT_AS.rawValue)) }

    /// The one-line explanation and fix for a refusal caused by RLIMIT_MEMLOCK.
    public static func memlockAdvice(_ what: String, bytes: UInt64) -> String {
        let limit = memlockLimit().map(humanBytes) ?? "unlimited"
        return
            "\(what) of \(humanBytes(bytes)) exceeds RLIMIT_MEMLOCK (\(limit)): raise it with `ulimit -l unlimited` (or `prlimit --memlock`), grant CAP_IPC_LOCK, or set LimitMEMLOCK=infinity in the systemd unit"
    }
}

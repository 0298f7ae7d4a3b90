/// The capability half of `ProcessLimits`: it reads /proc/self/status, so it lives with the
/// /proc readers.
extension ProcessLimits {
    /// Whether the capability is in this process's effective set (/proc/self/status CapEff).
    public static func hasCapability(_ cap: Int) -> Bool {
        guard let text = try? readProcText("/proc/self/status") else { return false }
        for line in text.split(separator: "\n") where line.hasPrefix("CapEff:") {
            guard let v = NumberParsing.parseHex(line.dropFirst(7).trimmingSpaces()) else { return false }
            return v & (1 << UInt64(cap)) != 0
        }
        return false
    }

    /// Whether this process is in the initial user namespace, whose capabilities are the
    /// ones `capable()` asks about (mlock's and io_uring's CAP_IPC_LOCK): root of a user
    /// namespace has every capability in CapEff, and mlock still refuses it past the limit.
    /// That namespace maps every uid to itself; one made by `unshare -r` maps one.
    public static func inInitialUserNamespace() -> Bool {
        guard let text = try? readProcText("/proc/self/uid_map") else { return true }
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) == ["0", "0", "4294967295"]
    }

    /// Whether locking or pinning `bytes` fits the limit (always, with CAP_IPC_LOCK in the
    /// initial user namespace).
    public static func memlockAllows(_ bytes: UInt64) -> Bool {
        if hasCapability(capIPCLock) && inInitialUserNamespace() { return true }
        guard let limit = memlockLimit() else { return true }
        return bytes <= limit
    }
}

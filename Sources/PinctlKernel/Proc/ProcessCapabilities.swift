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

    /// Whether locking or pinning `bytes` fits the limit (always, with CAP_IPC_LOCK).
    public static func memlockAllows(_ bytes: UInt64) -> Bool {
        if hasCapability(capIPCLock) { return true }
        guard let limit = memlockLimit() else { return true }
        return bytes <= limit
    }
}

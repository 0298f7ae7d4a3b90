/// The lines of /proc/meminfo that say how much memory cannot move or be reclaimed.
public struct MeminfoTotals: Codable, Sendable, Equatable {
    /// MemTotal and MemAvailable (what pin's memory check compares a range with).
    public var memTotalBytes: UInt64?
    public var memAvailableBytes: UInt64?
    public var mlockedBytes: UInt64?
    public var unevictableBytes: UInt64?
    /// HugePages_Total and HugePages_Free, in pages of `hugepageSizeBytes` (the default size).
    public var hugePagesTotal: UInt64?
    public var hugePagesFree: UInt64?
    public var hugepageSizeBytes: UInt64?
    /// Absent on kernels without CONFIG_CMA.
    public var cmaTotalBytes: UInt64?
    public var cmaFreeBytes: UInt64?

    /// Default-size hugetlb pages in use (allocated to mappings or reserved-and-faulted).
    public var hugetlbInUseBytes: UInt64? {
        guard let t = hugePagesTotal, let f = hugePagesFree, let s = hugepageSizeBytes, t >= f else { return nil }
        let m = (t - f).multipliedReportingOverflow(by: s)
        return m.overflow ? nil : m.partialValue
    }

    public var hugetlbTotalBytes: UInt64? {
        guard let t = hugePagesTotal, let s = hugepageSizeBytes else { return nil }
        let m = t.multipliedReportingOverflow(by: s)
        return m.overflow ? nil : m.partialValue
    }
}

/// Parses /proc/meminfo ("Mlocked:   14656 kB", "HugePages_Total:   0").
public enum MeminfoReader {
    public static let path = "/proc/meminfo"

    public static func parse(_ bytes: [UInt8]) -> MeminfoTotals {
        let t = ProcText(bytes: bytes)
        var m = MeminfoTotals()
        try? t.forEachLine { line in
            var rest = line
            guard let key = t.nextField(&rest), key.count > 1, t.bytes[key.upperBound - 1] == ProcText.colon else { return }
            let name = key.lowerBound..<(key.upperBound - 1)
            let value = ProcSmaps.value(t, rest)
            if t.equals(name, "MemTotal") {
                m.memTotalBytes = value
            } else if t.equals(name, "MemAvailable") {
                m.memAvailableBytes = value
            } else if t.equals(name, "Mlocked") {
                m.mlockedBytes = value
            } else if t.equals(name, "Unevictable") {
                m.unevictableBytes = value
            } else if t.equals(name, "HugePages_Total") {
                m.hugePagesTotal = value
            } else if t.equals(name, "HugePages_Free") {
                m.hugePagesFree = value
            } else if t.equals(name, "Hugepagesize") {
                m.hugepageSizeBytes = value
            } else if t.equals(name, "CmaTotal") {
                m.cmaTotalBytes = value
            } else if t.equals(name, "CmaFree") {
                m.cmaFreeBytes = value
            }
        }
        return m
    }

    public static func read() throws(SyscallError) -> MeminfoTotals {
        parse(try ProcFileReader.bytes(path))
    }
}

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
        guard let t = hugePagesTotal, let f = hugePagesFree, t >= f else { return nil }
        return hugepageBytes(t - f)
    }

    public var hugetlbTotalBytes: UInt64? { hugePagesTotal.flatMap(hugepageBytes) }

    /// `pages` default-size huge pages in bytes; nil without a size or on overflow.
    func hugepageBytes(_ pages: UInt64) -> UInt64? {
        guard let s = hugepageSizeBytes else { return nil }
        let m = pages.multipliedReportingOverflow(by: s)
        return m.overflow ? nil : m.partialValue
    }
}

/// Parses /proc/meminfo ("Mlocked:   14656 kB", "HugePages_Total:   0").
public enum MeminfoReader {
    public static let path = "/proc/meminfo"

    /// The lines read, by name, and where each value goes.
    static let fields: [(name: StaticString, into: WritableKeyPath<MeminfoTotals, UInt64?> & Sendable)] = [
        ("MemTotal", \.memTotalBytes), ("MemAvailable", \.memAvailableBytes), ("Mlocked", \.mlockedBytes),
        ("Unevictable", \.unevictableBytes), ("HugePages_Total", \.hugePagesTotal), ("HugePages_Free", \.hugePagesFree),
        ("Hugepagesize", \.hugepageSizeBytes), ("CmaTotal", \.cmaTotalBytes), ("CmaFree", \.cmaFreeBytes),
    ]

    public static func parse(_ bytes: [UInt8]) -> MeminfoTotals {
        let t = ProcText(bytes: bytes)
        var m = MeminfoTotals()
        try? t.forEachLine { line in
            var rest = line
            guard let key = t.nextField(&rest), key.count > 1, t.bytes[key.upperBound - 1] == ProcText.colon else { return }
            let name = key.lowerBound..<(key.upperBound - 1)
            guard let field = fields.first(where: { t.equals(name, $0.name) }) else { return }
            m[keyPath: field.into] = ProcSmaps.value(t, rest)
        }
        return m
    }

    public static func read() throws(SyscallError) -> MeminfoTotals {
        parse(try ProcFileReader.bytes(path))
    }
}

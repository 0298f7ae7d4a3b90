/// One VMA of /proc/PID/smaps: its maps line, its counters, its VmFlags.
public struct SmapsEntry: Equatable, Sendable {
    public var vma: VMA
    /// "Rss" -> bytes. Fields printed in kB are converted to bytes; others (THPeligible,
    /// ProtectionKey) are kept as the number printed.
    public var fields: [String: UInt64]
    /// Two-letter codes in kernel order.
    public var vmFlags: [String]

    public subscript(_ name: String) -> UInt64? { fields[name] }
}

/// Parses /proc/PID/smaps (and smaps_rollup's counters).
public enum ProcSmaps {
    public static func parse(_ text: String) throws(PinctlError) -> [SmapsEntry] {
        var out: [SmapsEntry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if isHeader(line) {
                guard let vma = ProcMaps.parseLine(line) else {
                    throw .invalidInput("not a /proc/PID/smaps header: '\(line.prefix(120))'")
                }
                out.append(SmapsEntry(vma: vma, fields: [:], vmFlags: []))
                continue
            }
            guard !out.isEmpty, let colon = line.firstIndex(of: ":") else {
                throw .invalidInput("not a /proc/PID/smaps line: '\(line.prefix(120))'")
            }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...]
            if name == "VmFlags" {
                out[out.count - 1].vmFlags = value.split(separator: " ").map(String.init)
            } else if let v = parseValue(value) {
                out[out.count - 1].fields[name] = v
            }
        }
        return out
    }

    /// "   1234 kB" -> 1263616; "    1" -> 1.
    static func parseValue(_ value: Substring) -> UInt64? {
        let parts = value.split(omittingEmptySubsequences: true, whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = parts.first, let n = NumberParsing.parseDigits(first, radix: 10) else { return nil }
        if parts.count > 1 && parts[1] == "kB" {
            let r = n.multipliedReportingOverflow(by: 1024)
            return r.overflow ? nil : r.partialValue
        }
        return n
    }

    /// A header is a maps line: its first word is "hex-hex", never "Name:".
    static func isHeader(_ line: Substring) -> Bool {
        guard let sp = line.firstIndex(of: " ") else { return false }
        let first = line[..<sp]
        return first.contains("-") && !first.hasSuffix(":")
    }
}

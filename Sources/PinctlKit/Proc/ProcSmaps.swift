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
    /// `wantFields`: which VMAs need their counters; the others keep only their maps line
    /// (a process can have thousands of VMAs, and a report needs a few).
    public static func parse(_ text: String, wantFields: (VMA) -> Bool = { _ in true }) throws(PinctlError) -> [SmapsEntry] {
        try parse(ProcText(text), wantFields: wantFields)
    }

    /// The file's bytes as read, so paths that are not UTF-8 keep their bytes (VMA.rawPath).
    public static func parse(bytes: [UInt8], wantFields: (VMA) -> Bool = { _ in true }) throws(PinctlError) -> [SmapsEntry] {
        try parse(ProcText(bytes: bytes), wantFields: wantFields)
    }

    static func parse(_ t: ProcText, wantFields: (VMA) -> Bool) throws(PinctlError) -> [SmapsEntry] {
        var out: [SmapsEntry] = []
        var fields: [String: UInt64] = [:]
        var flags: [String] = []
        var vma: VMA? = nil
        var skipping = false
        func flush() {
            if let v = vma { out.append(SmapsEntry(vma: v, fields: fields, vmFlags: flags)) }
            fields = [:]
            flags = []
        }
        try t.forEachLine { (line) throws(PinctlError) in
            var rest = line
            guard let first = t.nextField(&rest) else { return }
            if t.bytes[first.upperBound - 1] != ProcText.colon, t.firstIndex(of: ProcText.dash, in: first) != nil {
                flush()
                guard let v = ProcMaps.parseLine(t, line) else {
                    throw .invalidInput("not a /proc/PID/smaps header: '\(t.string(line).prefix(120))'")
                }
                vma = v
                skipping = !wantFields(v)
                return
            }
            guard vma != nil, t.bytes[first.upperBound - 1] == ProcText.colon else {
                throw .invalidInput("not a /proc/PID/smaps line: '\(t.string(line).prefix(120))'")
            }
            if skipping { return }
            let name = first.lowerBound..<(first.upperBound - 1)
            if t.equals(name, "VmFlags") {
                while let w = t.nextField(&rest) { flags.append(t.string(w)) }
            } else if let v = value(t, rest) {
                fields[t.string(name)] = v
            }
        }
        flush()
        return out
    }

    /// "   1234 kB" -> 1263616; "    1" -> 1.
    static func parseValue(_ value: Substring) -> UInt64? {
        let t = ProcText(String(value))
        return Self.value(t, 0..<t.bytes.count)
    }

    static func value(_ t: ProcText, _ r: Range<Int>) -> UInt64? {
        var rest = r
        guard let digits = t.nextField(&rest), let n = t.number(digits, radix: 10) else { return nil }
        if let unit = t.nextField(&rest), t.equals(unit, "kB") {
            let m = n.multipliedReportingOverflow(by: 1024)
            return m.overflow ? nil : m.partialValue
        }
        return n
    }
}

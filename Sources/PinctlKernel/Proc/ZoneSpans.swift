/// One zone of one NUMA node as /proc/zoneinfo gives it: the PFNs it spans
/// [startPFN, startPFN + spanned), which include holes (`present` counts the frames behind it)
/// and, after memory hotplug, can overlap another zone's span.
public struct ZoneSpan: Codable, Sendable, Equatable {
    public var node: UInt32
    public var zone: String
    public var startPFN: UInt64
    public var spanned: UInt64
    public var present: UInt64
    /// "pages free": the zone's free pages when the file was read.
    public var free: UInt64 = 0
    public var endPFN: UInt64 { startPFN &+ spanned }
}

/// Parses every "Node N, zone NAME" block of /proc/zoneinfo for pages free, spanned, present
/// and start_pfn (mm/vmstat.c, zoneinfo_show_print): the one reader of the file (`phys`'s
/// zone targets, and the census's ZONE_MOVABLE totals through ZoneinfoReader). Empty zones
/// (spanned 0) print no start_pfn and are kept with start 0.
public enum ZoneSpans {
    public static let path = "/proc/zoneinfo"

    public static func parse(_ bytes: [UInt8]) -> [ZoneSpan] {
        let t = ProcText(bytes: bytes)
        var out: [ZoneSpan] = []
        var current: ZoneSpan?
        try? t.forEachLine { line in
            var rest = line
            guard let first = t.nextField(&rest) else { return }
            if t.equals(first, "Node") {
                if let c = current { out.append(c) }
                current = nil
                guard let nodeField = t.nextField(&rest), t.equals(t.nextField(&rest) ?? 0..<0, "zone"),
                    let zone = t.nextField(&rest), nodeField.count > 1, zone.count <= 32,
                    let node = t.number(nodeField.lowerBound..<(nodeField.upperBound - 1), radix: 10),
                    let node32 = UInt32(exactly: node)
                else { return }
                let name = String(decoding: bytes[zone], as: UTF8.self)
                current = ZoneSpan(node: node32, zone: name, startPFN: 0, spanned: 0, present: 0)
                return
            }
            guard current != nil, var v = t.nextField(&rest) else { return }
            // "pages free     1000": the only line whose value is the third field.
            let pagesFree = t.equals(first, "pages") && t.equals(v, "free")
            if pagesFree {
                guard let third = t.nextField(&rest) else { return }
                v = third
            }
            guard let n = t.number(v, radix: 10) else { return }
            if pagesFree {
                current?.free = n
            } else if t.equals(first, "spanned") {
                current?.spanned = n
            } else if t.equals(first, "present") {
                current?.present = n
            } else if t.equals(first, "start_pfn:") {
                current?.startPFN = n
            }
        }
        if let c = current { out.append(c) }
        // A span that overflows is not one the kernel printed.
        return out.filter { !$0.startPFN.addingReportingOverflow($0.spanned).overflow }
    }

    public static func read() throws(PinctlError) -> [ZoneSpan] {
        do {
            return parse(try ProcFileReader.bytes(path))
        } catch {
            throw .system(error)
        }
    }
}

/// ZONE_MOVABLE of one NUMA node: memory the kernel promises can be migrated away (for
/// offlining, CMA-like allocations); a long-term pin must never land there.
public struct MovableZone: Codable, Sendable, Equatable {
    public var node: UInt32
    public var presentPages: UInt64
    public var freePages: UInt64
}

/// Parses /proc/zoneinfo's "Node N, zone Movable" blocks ("pages free N", "present N").
public enum ZoneinfoReader {
    public static let path = "/proc/zoneinfo"

    public static func parse(_ bytes: [UInt8]) -> [MovableZone] {
        let t = ProcText(bytes: bytes)
        var out: [MovableZone] = []
        var current: MovableZone?
        try? t.forEachLine { line in
            var rest = line
            guard let first = t.nextField(&rest) else { return }
            if t.equals(first, "Node") {
                if let c = current { out.append(c) }
                current = nil
                // "Node 0, zone  Movable"
                guard let nodeField = t.nextField(&rest), t.equals(t.nextField(&rest) ?? 0..<0, "zone"),
                    let zone = t.nextField(&rest), t.equals(zone, "Movable"), nodeField.count > 1,
                    let node = t.number(nodeField.lowerBound..<(nodeField.upperBound - 1), radix: 10),
                    let node32 = UInt32(exactly: node)
                else { return }
                current = MovableZone(node: node32, presentPages: 0, freePages: 0)
                return
            }
            guard current != nil else { return }
            if t.equals(first, "pages"), let second = t.nextField(&rest), t.equals(second, "free"),
                let v = t.nextField(&rest), let n = t.number(v, radix: 10)
            {
                current?.freePages = n
            } else if t.equals(first, "present"), let v = t.nextField(&rest), let n = t.number(v, radix: 10) {
                current?.presentPages = n
            }
        }
        if let c = current { out.append(c) }
        return out
    }

    public static func read() throws(SyscallError) -> [MovableZone] {
        parse(try FileDescriptor.openReadOnly(path).readAll())
    }
}

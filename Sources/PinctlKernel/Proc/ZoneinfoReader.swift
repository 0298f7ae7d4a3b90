/// ZONE_MOVABLE of one NUMA node: memory the kernel promises can be migrated away (for
/// offlining, CMA-like allocations); a long-term pin must never land there.
public struct MovableZone: Codable, Sendable, Equatable {
    public var node: UInt32
    public var presentPages: UInt64
    public var freePages: UInt64
}

/// The "Node N, zone Movable" blocks of /proc/zoneinfo ("pages free N", "present N"), read by
/// ZoneSpans, the one parser of that file.
public enum ZoneinfoReader {
    public static let path = "/proc/zoneinfo"

    public static func parse(_ bytes: [UInt8]) -> [MovableZone] {
        ZoneSpans.parse(bytes).filter { $0.zone == "Movable" }.map {
            MovableZone(node: $0.node, presentPages: $0.present, freePages: $0.free)
        }
    }

    public static func read() throws(SyscallError) -> [MovableZone] {
        parse(try ProcFileReader.bytes(path))
    }
}

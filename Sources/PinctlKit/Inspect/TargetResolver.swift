/// The pages of one VMA that a target covers: [start, end), page-aligned.
public struct Segment: Equatable, Sendable {
    public var vmaIndex: Int
    public var start: UInt64
    public var end: UInt64
    public var pages: UInt64 { (end - start) >> PagemapReader.pageShift }
}

/// Turns a target into the VMA segments it covers, or an error naming the nearest VMAs.
public enum TargetResolver {
    public static func segments(for target: InspectTarget, in vmas: [VMA], process: ProcessRef) throws(PinctlError) -> [Segment] {
        let out = vmas.indices.compactMap { segment(for: target, in: vmas[$0], index: $0) }
        guard !out.isEmpty else { throw untouched(target, in: vmas, process: process) }
        return out
    }

    /// The target's pages in one VMA, nil when it covers none: what `segments` finds in each,
    /// for a caller that reads the VMAs one at a time (`vmaIndex` is the caller's count).
    public static func segment(for target: InspectTarget, in v: VMA, index: Int) -> Segment? {
        let mask = PagemapReader.pageSize - 1
        switch target {
        case .address(let a):
            guard v.contains(a) else { return nil }
            let lo = a & ~mask
            return Segment(vmaIndex: index, start: lo, end: lo + PagemapReader.pageSize)
        case .range(let s, let e):
            let lo = s & ~mask
            let hi = e > UInt64.max - mask ? UInt64.max & ~mask : (e + mask) & ~mask
            guard v.overlaps(lo, hi) else { return nil }
            return Segment(vmaIndex: index, start: max(v.start, lo), end: min(v.end, hi))
        case .mapping(let name):
            guard matches(v, name) else { return nil }
            return Segment(vmaIndex: index, start: v.start, end: v.end)
        }
    }

    /// The error for a target that covers none of `vmas`, naming the nearest VMAs or the
    /// mapping names there are.
    public static func untouched(_ target: InspectTarget, in vmas: [VMA], process: ProcessRef) -> PinctlError {
        switch target {
        case .address(let a):
            return .notMapped(
                "\(hex(a)) is not mapped in process \(process.pid): \(nearest(a, vmas)); run `pinctl maps \(process.pid)` to list its VMAs"
            )
        case .range(let s, let e):
            return .notMapped(
                "\(hex(s))-\(hex(e)) touches no mapping in process \(process.pid): \(nearest(s, vmas)); run `pinctl maps \(process.pid)` to list its VMAs"
            )
        case .mapping(let name):
            var names: [String] = []
            for v in vmas where !v.path.isEmpty && !names.contains(v.basename) { names.append(v.basename) }
            return .notMapped(
                "no mapping named '\(name)' in process \(process.pid); it has: \(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", ..." : "")"
            )
        }
    }

    /// Whether a VMA can be touched by the target, decided from the VMA alone.
    public static func mayTouch(_ target: InspectTarget) -> (VMA) -> Bool {
        { segment(for: target, in: $0, index: 0) != nil }
    }

    /// A full path, the file's path (an unlinked file's without " (deleted)"), a basename,
    /// or a [special] name.
    static func matches(_ v: VMA, _ name: String) -> Bool {
        if v.path.isEmpty { return false }
        // The text as maps has it names an unlinked file only when the kernel was not asked.
        return v.filePath == name || v.basename == name || (v.unlinked == nil && v.path == name)
    }

    /// "nearest VMAs: 0x..-0x.. [heap] below, 0x..-0x.. /usr/lib/x86_64-linux-gnu/libc.so.6 above"
    static func nearest(_ a: UInt64, _ vmas: [VMA]) -> String {
        let below = vmas.last(where: { $0.end <= a })
        let above = vmas.first(where: { $0.start > a })
        func show(_ v: VMA) -> String { "\(hex(v.start))-\(hex(v.end)) \(v.path.isEmpty ? "[anon]" : v.path)" }
        var parts: [String] = []
        if let below { parts.append("\(show(below)) below") }
        if let above { parts.append("\(show(above)) above") }
        return parts.isEmpty ? "the process has no VMAs" : "nearest VMAs: " + parts.joined(separator: ", ")
    }
}

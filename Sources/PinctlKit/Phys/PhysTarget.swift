/// What `pinctl phys` walks, as the user wrote it:
///
/// - `PFN`, `PFN-END` (END excluded), `PFN+N` (N frames): page frame numbers, decimal or 0x hex;
/// - `phys:ADDR`, `phys:ADDR-END`, `phys:ADDR+SIZE`: physical addresses (sizes take K, M, G,
///   T), widened to whole frames;
/// - `block:N`: memory block N of /sys/devices/system/memory;
/// - `zone:NAME` (every node's zone of that name: DMA, DMA32, Normal, Movable, Device) or
///   `zone:NAME:NODE`, and `node:N`: spans from /proc/zoneinfo (start_pfn, spanned);
/// - `all`: every frame up to the highest zone's end.
public enum PhysTarget: Sendable, Equatable, CustomStringConvertible {
    /// Frames [start, start+count).
    case frames(start: UInt64, count: UInt64)
    case block(UInt64)
    case zone(name: String, node: UInt32?)
    case node(UInt32)
    case all

    public static func parse(_ text: String) throws(PinctlError) -> PhysTarget {
        func bad(_ why: String) -> PinctlError {
            .invalidInput(
                "phys target '\(text)': \(why); give a PFN (0x1000), PFN-END, PFN+N, phys:0xADDR-0xEND, phys:0xADDR+SIZE, block:N, zone:Movable, node:N or all"
            )
        }
        guard !text.isEmpty, text.utf8.count <= 256 else { throw bad("empty or too long") }
        if text == "all" { return .all }
        if let rest = text.dropPrefix("block:") {
            guard let n = NumberParsing.parseUInt64(rest), !rest.contains(" ") else { throw bad("not a block number") }
            return .block(n)
        }
        if let rest = text.dropPrefix("node:") {
            guard let n = NumberParsing.parseUInt64(rest), !rest.contains(" "), let n32 = UInt32(exactly: n) else {
                throw bad("not a node number")
            }
            return .node(n32)
        }
        if let rest = text.dropPrefix("zone:") {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let name = parts.first, !name.isEmpty, name.count <= 32,
                name.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) })
            else { throw bad("not a zone name") }
            var node: UInt32? = nil
            if parts.count == 2 {
                guard let n = NumberParsing.parseUInt64(parts[1]), !parts[1].contains(" "), let n32 = UInt32(exactly: n) else {
                    throw bad("not a node number after the zone name")
                }
                node = n32
            }
            return .zone(name: String(name), node: node)
        }
        if let rest = text.dropPrefix("phys:") {
            let (start, end) = try range(rest, sizes: true, bad)
            // Whole frames: the start rounds down, the end up.
            let first = start >> PagemapReader.pageShift
            let last = (end >> PagemapReader.pageShift) + (end & (PagemapReader.pageSize - 1) != 0 ? 1 : 0)
            return .frames(start: first, count: last - first)
        }
        let (start, end) = try range(Substring(text), sizes: false, bad)
        return .frames(start: start, count: end - start)
    }

    /// `A`, `A-B` or `A+N` to [start, end); a count or size of 0 and B <= A are errors.
    static func range(_ s: Substring, sizes: Bool, _ bad: (String) -> PinctlError) throws(PinctlError) -> (UInt64, UInt64) {
        guard !s.contains(" ") else { throw bad("spaces") }
        func number(_ t: Substring) throws(PinctlError) -> UInt64 {
            guard let v = NumberParsing.parseUInt64(t) else {
                throw bad(NumberParsing.hasLeadingZero(t) ? "'\(t)' has \(NumberParsing.leadingZeroAdvice)" : "'\(t)' is not a number")
            }
            return v
        }
        let one = sizes ? UInt64(1) : 1
        if let plus = s.firstIndex(of: "+") {
            let start = try number(s[..<plus])
            let n: UInt64
            if sizes {
                guard let v = NumberParsing.parseSize(s[s.index(after: plus)...]) else { throw bad("not a size after '+'") }
                n = v
            } else {
                n = try number(s[s.index(after: plus)...])
            }
            guard n > 0 else { throw bad("an empty range") }
            let (end, o) = start.addingReportingOverflow(n)
            guard !o, end <= limit(sizes) else { throw bad("the range ends past the largest \(sizes ? "address" : "PFN")") }
            return (start, end)
        }
        if let dash = s.firstIndex(of: "-") {
            let start = try number(s[..<dash])
            let end = try number(s[s.index(after: dash)...])
            guard end > start else { throw bad("the end is not above the start (END is excluded)") }
            guard end <= limit(sizes) else { throw bad("the range ends past the largest \(sizes ? "address" : "PFN")") }
            return (start, end)
        }
        let start = try number(s)
        guard start < limit(sizes) else { throw bad("past the largest \(sizes ? "address" : "PFN")") }
        return (start, start + one)
    }

    /// PFNs are 55 bits in pagemap; physical addresses 55 + 12.
    static func limit(_ address: Bool) -> UInt64 { address ? 1 << 63 : 1 << 55 }

    public var description: String {
        switch self {
        case .frames(let s, let n): return n == 1 ? hex(s) : "\(hex(s))+\(n)"
        case .block(let n): return "block:\(n)"
        case .zone(let name, let node): return node.map { "zone:\(name):\($0)" } ?? "zone:\(name)"
        case .node(let n): return "node:\(n)"
        case .all: return "all"
        }
    }
}

extension String {
    fileprivate func dropPrefix(_ p: String) -> Substring? {
        hasPrefix(p) ? dropFirst(p.count) : nil
    }
}

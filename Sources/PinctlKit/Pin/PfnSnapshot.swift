/// A process's pagemap entries for a range at one instant: what `--verify` compares before
/// and after its probes; `count` gives the report's resident pages and physical runs.
public struct PfnSnapshot: Sendable {
    public let base: UInt64
    public let entries: [UInt64]

    static let chunkPages = 65536

    public static func take(base: UInt64, pages: UInt64, process: ProcessRef = .current) throws(PinctlError) -> PfnSnapshot {
        var entries: [UInt64] = []
        entries.reserveCapacity(Int(pages))
        try forEachChunk(base: base, pages: pages, process: process) { entries.append(contentsOf: $0) }
        // Past what pagemap gave (a range above the task size): absent.
        entries.append(contentsOf: repeatElement(0, count: Int(pages) - entries.count))
        return PfnSnapshot(base: base, entries: entries)
    }

    /// Resident pages and physical runs of a range, streamed through one reused buffer
    /// (for the report, which needs the counts and not the entries).
    /// `runs` is nil when pagemap hid the PFNs (a present page reads PFN 0, which no user
    /// page has: frame 0 is firmware's): without CAP_SYS_ADMIN the runs are unknown.
    public static func count(base: UInt64, pages: UInt64) throws(PinctlError) -> (present: UInt64, runs: UInt64?) {
        var present: UInt64 = 0
        var hidden = false
        var runs = PhysicalRuns()
        try forEachChunk(base: base, pages: pages, process: .current) { chunk in
            for e in chunk {
                if e >> 63 == 1 {
                    present += 1
                    let pfn = e & PagemapEntry.pfnMask
                    if pfn == 0 { hidden = true }
                    runs.add(pfn: pfn)
                } else {
                    runs.gap()
                }
            }
        }
        return (present, hidden ? nil : runs.count)
    }

    /// Reads the range's entries in preads of at most `chunkPages` into one reused buffer.
    static func forEachChunk(
        base: UInt64, pages: UInt64, process: ProcessRef, _ body: (UnsafeMutableBufferPointer<UInt64>) -> Void
    ) throws(PinctlError) {
        let reader = try PagemapReader(process: process)
        let buf = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: chunkPages)
        defer { buf.deallocate() }
        var done: UInt64 = 0
        while done < pages {
            let n = Int(min(UInt64(chunkPages), pages - done))
            let got = try reader.read(
                start: base + (done << PagemapReader.pageShift), into: UnsafeMutableBufferPointer(rebasing: buf[0..<n]))
            body(UnsafeMutableBufferPointer(rebasing: buf[0..<got]))
            if got < n { break }
            done += UInt64(n)
        }
    }
}

/// Counts runs of physically contiguous pages (PFN n, n+1, ...) fed in address order.
public struct PhysicalRuns: Sendable {
    public private(set) var count: UInt64 = 0
    private var last: UInt64 = .max

    public init() {}

    public mutating func add(pfn: UInt64) {
        if last == .max || pfn != last &+ 1 { count += 1 }
        last = pfn
    }

    /// A page with no PFN between two that have one: the run ends.
    public mutating func gap() { last = .max }
}

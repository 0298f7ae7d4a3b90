/// This process's pagemap entries for a range at one instant: what `pin` reports (resident
/// pages, physical runs) and what `--verify` compares before and after its probes.
public struct PfnSnapshot: Sendable {
    public let base: UInt64
    public let entries: [UInt64]

    public static func take(base: UInt64, pages: UInt64, process: ProcessRef = .current) throws(PinctlError) -> PfnSnapshot {
        let reader = try PagemapReader(process: process)
        var entries = [UInt64](repeating: 0, count: Int(pages))
        var done = 0
        while done < entries.count {
            let n = min(65536, entries.count - done)
            let got = try entries.withUnsafeMutableBufferPointer { (buf) throws(PinctlError) -> Int in
                try reader.read(
                    start: base + (UInt64(done) << PagemapReader.pageShift),
                    into: UnsafeMutableBufferPointer(rebasing: buf[done..<(done + n)]))
            }
            if got < n { break }
            done += n
        }
        return PfnSnapshot(base: base, entries: entries)
    }

    public var present: UInt64 { UInt64(entries.lazy.filter { $0 >> 63 == 1 }.count) }

    /// Resident pages and physical runs of a range, streamed through one reused buffer
    /// (for the report, which needs the counts and not the entries).
    public static func count(base: UInt64, pages: UInt64) throws(PinctlError) -> (present: UInt64, runs: UInt64) {
        let reader = try PagemapReader(process: .current)
        let chunk = 65536
        let buf = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: chunk)
        defer { buf.deallocate() }
        var present: UInt64 = 0, runs: UInt64 = 0, last: UInt64 = .max
        var done: UInt64 = 0
        while done < pages {
            let n = Int(min(UInt64(chunk), pages - done))
            let got = try reader.read(
                start: base + (done << PagemapReader.pageShift), into: UnsafeMutableBufferPointer(rebasing: buf[0..<n]))
            for i in 0..<got {
                let e = buf[i]
                guard e >> 63 == 1 else {
                    last = .max
                    continue
                }
                present += 1
                let pfn = e & PagemapEntry.pfnMask
                if last == .max || pfn != last &+ 1 { runs += 1 }
                last = pfn
            }
            if got < n { break }
            done += UInt64(n)
        }
        return (present, runs)
    }

    /// Runs of pages that are contiguous physically (PFN n, n+1, ...).
    public var physicalRuns: UInt64 {
        var runs: UInt64 = 0
        var last: UInt64 = .max
        for e in entries {
            guard e >> 63 == 1 else {
                last = .max
                continue
            }
            let pfn = e & PagemapEntry.pfnMask
            if pfn != last &+ 1 || last == .max { runs += 1 }
            last = pfn
        }
        return runs
    }
}

import Foundation
import PinctlRender
import Testing

/// Summaries, `census --deep` and `phys --owners` find a VMA's populated regions with
/// PAGEMAP_SCAN. They take them a scan vector's worth at a time, so a mapping fragmented into
/// millions of regions costs the same memory as an empty one: proven on 1 GiB with every 64th
/// page written (4096 one-page regions), batch by batch against reading every pagemap entry.
@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct PopulatedScanBatchTests {
    static let scanning = (try? PagemapReader(process: ProcessRef.current).forEachPopulatedBatch(start: 0, end: 4096) { _ in }) ?? false

    /// Every batch holds at most the vector's 2048 regions, 4096 regions take at least two,
    /// and together they are exactly the pages whose pagemap entry says present.
    @Test(.enabled(if: scanning, "PAGEMAP_SCAN needs 6.7+"))
    func populatedRegionsComeInBoundedBatchesThatMatchTheFullRead() throws {
        let h = try Holder(["sparse:1G"])
        defer { h.stop() }
        let r = h.region("sparse")
        let pagemap = try PagemapReader(process: ProcessRef(pid: h.pid))
        var batches: [Int] = []
        var scanned: [UInt64] = []
        let supported = try pagemap.forEachPopulatedBatch(start: r.start, end: r.start + r.size) { batch in
            batches.append(batch.count)
            for region in batch {
                #expect(region.present)
                var va = region.start
                while va < region.end {
                    scanned.append(va)
                    va += 4096
                }
            }
        }
        #expect(supported)
        #expect(batches.allSatisfy { $0 <= 2048 }, "batch sizes \(batches)")
        #expect(batches.count >= 2, "4096 regions in \(batches.count) batch(es): \(batches)")

        var read: [UInt64] = []
        let entries = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: 16384)
        defer { entries.deallocate() }
        var va = r.start
        while va < r.start + r.size {
            let n = min(UInt64(entries.count), (r.start + r.size - va) / 4096)
            let got = try pagemap.read(start: va, into: UnsafeMutableBufferPointer(rebasing: entries[0..<Int(n)]))
            #expect(got == Int(n))
            for i in 0..<got where entries[i] >> 63 == 1 { read.append(va + UInt64(i) * 4096) }
            va += UInt64(got) * 4096
            if got == 0 { break }
        }
        #expect(read.count == 4096, "the holder writes every 64th page of 1 GiB")
        let missing = Set(read).subtracting(scanned), extra = Set(scanned).subtracting(read)
        let same = scanned == read
        #expect(
            same,
            "\(scanned.count) scanned, \(read.count) read; \(missing.count) missing, first \(missing.min().map(hexString) ?? "-"); \(extra.count) extra, first \(extra.min().map(hexString) ?? "-")"
        )
    }

    /// The summary built from those batches is the one reading every entry gives
    /// (`--no-scan`), and its note says the holes were skipped. Compared once, every line but
    /// the notes, without the LRU-state flag counts the kernel may change between the two
    /// reads (`LiveComparison`).
    @Test(.enabled(if: scanning, "PAGEMAP_SCAN needs 6.7+"))
    func summaryFromBatchesEqualsTheFullRead() throws {
        let h = try Holder(["sparse:1G"])
        defer { h.stop() }
        let r = h.region("sparse")
        let target = "\(hexString(r.start))+\(r.size / 1024)K"
        func summary(_ extra: [String]) throws -> (lines: [String], notes: [String]) {
            let out = try pinctl(["inspect"] + extra + ["\(h.pid)", target])
            #expect(out.status == 0, "\(out.stderr)")
            let lines = LiveComparison.inspectLines(out.stdout)
            return (lines.filter { !$0.hasPrefix("note:") }, lines.filter { $0.hasPrefix("note:") })
        }
        let batched = try summary([])
        let full = try summary(["--no-scan"])
        let counts = batched.lines.filter {
            $0.hasPrefix("summary:") || $0.contains("locked ") || $0.contains("exclusive ") || $0.contains("physical runs")
        }
        #expect(counts.count == 4, "\(batched.lines)")
        #expect(counts.first?.contains("4096 present") == true, "\(batched.lines)")
        #expect(batched.lines.contains { $0.hasPrefix("    flags ") && $0.contains("anon=4096") }, "\(batched.lines)")
        let difference = LiveComparison.firstDifference(batched.lines, full.lines)
        #expect(difference == nil, "\(difference ?? "")")
        let noted = batched.notes.contains { $0.contains("PAGEMAP_SCAN: populated regions cover 4096 of 262144 pages") }
        #expect(noted, "\(batched.notes)")
    }
}

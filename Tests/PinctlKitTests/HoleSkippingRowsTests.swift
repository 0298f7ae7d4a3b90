import Foundation
import PinctlRender
import Testing

@testable import PinctlKit

/// Rows skip the holes PAGEMAP_SCAN proves empty (6.7+): the output must be the one reading
/// every pagemap entry gives (`--read-holes`), byte for byte, on a sparse layout holding each
/// kind of entry the scan could miss: a 4 GiB PROT_NONE reservation, 1 GiB with six written
/// pages, THPs, uffd-wp protection (pte markers on the unpopulated half where the kernel has
/// WP_UNPOPULATED), a soft-dirty clear, guard regions (6.15+), a file mapping with holes and
/// an untouched range.
@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct HoleSkippingRowsTests {
    /// The holder's regions; guard regions need MADV_GUARD_INSTALL (6.15+).
    static func layout(file: String) -> [String] {
        var specs = [
            "reserve:4G", "few:1G", "thp:4M", "uffdwp:8M", "softdirty:1M", "filesparse:16M:\(file)", "untouched:64M",
        ]
        if PageWalker.kernelAtLeast(6, 15) { specs.append("guard:64K") }
        return specs
    }

    static func withLayout(_ body: (Holder) throws -> Void) throws {
        let path = "/tmp/pinctl-holes-file-\(getpid())"
        try writeSyncedFile(path, bytes: Data(repeating: 0x5a, count: 16 << 20))
        defer { unlink(path) }
        let h = try Holder(layout(file: path))
        defer { h.stop() }
        try body(h)
    }

    static func target(_ r: (start: UInt64, size: UInt64)) -> String { "\(hexString(r.start))+\(r.size / 1024)K" }

    /// Every region in text, --json and --json-lines (and per page, --no-collapse, where the
    /// region is small enough to print a row per page): the rows skipping holes are the
    /// full read's, line for line, on everything but the LRU-state flags the kernel may
    /// change between the two runs (`LiveComparison`).
    @Test func rowsSkippingHolesAreTheFullReadLineForLine() throws {
        try Self.withLayout { h in try Self.expectEveryRegionSameAsTheFullRead(h) }
    }

    /// More PAGEMAP_SCAN regions in a chunk than its output vector holds (a region per page:
    /// every other page written; guard markers between written pages on 6.15+): the window
    /// is filled over several calls, and a kernel returning regions past walk_end (6.18 does,
    /// when the vector fills at the range's last region) must not make rows twice. Before
    /// the fix: 511 rows too many in 64 MiB, and a trap (out-of-order pieces) with guards.
    @Test func rowsOverMoreRegionsThanOneScanHoldsAreTheFullRead() throws {
        var specs = ["alternate:64M"]
        if PageWalker.kernelAtLeast(6, 15) { specs.append("guard:64M") }
        let h = try Holder(specs)
        defer { h.stop() }
        try Self.expectEveryRegionSameAsTheFullRead(h)
    }

    /// Every region of the holder in text, --json and --json-lines (and per page,
    /// --no-collapse, where the region is small enough to print a row per page): one run
    /// skipping holes and one reading them, compared once. Every line, PFN, mapcount, memcg,
    /// pagemap bit, count and stable flag must match; only `referenced`, `lru`, `active`,
    /// `idle` and smaps' `Referenced` are left out (DAMON sets `idle` between two runs here).
    static func expectEveryRegionSameAsTheFullRead(_ h: Holder) throws {
        for kind in h.regions.keys.sorted() {
            let r = h.region(kind)
            var formats: [[String]] = [["--pages"], ["--json"], ["--json-lines"]]
            if r.size <= 64 << 20 { formats += [["--pages", "--no-collapse"], ["--json-lines", "--no-collapse"]] }
            for format in formats {
                let skipping = try pinctl(["inspect"] + format + ["\(h.pid)", Self.target(r)])
                let full = try pinctl(["inspect", "--read-holes"] + format + ["\(h.pid)", Self.target(r)])
                #expect(skipping.status == 0 && full.status == 0, "\(kind) \(format): \(skipping.stderr) \(full.stderr)")
                #expect(skipping.stderr == full.stderr, "\(kind) \(format): \(skipping.stderr) != \(full.stderr)")
                #expect(!skipping.stdout.isEmpty, "\(kind) \(format): no output")
                let difference = LiveComparison.inspectDifference(skipping.stdout, full.stdout)
                #expect(difference == nil, "\(kind) \(format.joined(separator: " ")): \(difference ?? "")")
            }
        }
    }

    /// What skipping saves, read from the walk itself: the 4 GiB reservation and the 1 GiB
    /// of six pages read a few entries (one per hole, the pages around the written ones), not
    /// one per page; the full read reads every one; both give the same rows. Without
    /// PAGEMAP_SCAN (before 6.7) both read every entry.
    @Test func holesAreNotReadWherePagemapScanProvesThemEmpty() throws {
        let scanning = try PagemapReader(process: ProcessRef.current).forEachPopulatedBatch(start: 0, end: 4096) { _ in }
        try Self.withLayout { h in
            for kind in ["reserve", "few", "untouched"] {
                let r = h.region(kind)
                let pages = r.size / 4096
                let t = try InspectTarget.parse(Self.target(r))
                let skipping = Inspector(process: ProcessRef(pid: h.pid))
                let skipped = try skipping.inspect(t, options: InspectOptions(rows: true))
                let reading = Inspector(process: ProcessRef(pid: h.pid))
                let read = try reading.inspect(t, options: InspectOptions(rows: true, skipHoles: false))
                #expect(reading.pagemapEntriesRead >= pages, "\(kind): the full read read \(reading.pagemapEntriesRead) of \(pages)")
                if scanning {
                    #expect(skipping.pagemapEntriesRead < 2 * 512 * 8, "\(kind): read \(skipping.pagemapEntriesRead) of \(pages) entries")
                } else {
                    #expect(skipping.pagemapEntriesRead >= pages, "\(kind): no PAGEMAP_SCAN, yet \(skipping.pagemapEntriesRead) read")
                }
                #expect(skipped.pages.map(\.address) == read.pages.map(\.address), "\(kind)")
                #expect(skipped.pages.map(\.count) == read.pages.map(\.count), "\(kind)")
                #expect(skipped.summary.present == read.summary.present && skipped.summary.notPresent == read.summary.notPresent)
            }
        }
    }

    /// The rows of the sparse layout, skipping holes, against page-types -L -N -r -M -C: every
    /// present page's PFN, flags, mapcount and memory cgroup, and no present page more or
    /// fewer, compared once without the LRU-state flags (`StableFlags`). page-types also
    /// lists swap entries (uffd-wp and guard markers read as swap entries to it); pinctl's
    /// rows of those have no PFN: only present pages are compared.
    @Test func sparseLayoutRowsMatchPageTypes() throws {
        _ = try PageTypes.binary()
        try Self.withLayout { h in
            for kind in ["reserve", "few", "thp", "uffdwp", "softdirty", "filesparse", "untouched"] {
                let r = h.region(kind)
                let pages = Int(r.size / 4096)
                // Rows per page where a present run can be longer than a page.
                let perPage = ["thp", "uffdwp", "softdirty", "filesparse"].contains(kind)
                let out = try pinctl(["inspect", "--json"] + (perPage ? ["--no-collapse"] : []) + ["\(h.pid)", Self.target(r)])
                #expect(out.status == 0, "\(kind): exit \(out.status): \(out.stderr)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
                let rows = StreamingInspectTests.rowsFromJSON(try #require(json["pages"] as? [[String: Any]]))
                let baseline = try PageTypes.list(pid: h.pid, start: r.start, pages: pages).filter { !$0.value.flags.contains("swap") }
                let differences = StreamingInspectTests.differences(rows, baseline, pages: pages)
                #expect(differences.isEmpty, "\(kind): \(differences.prefix(4).joined(separator: "; "))")
            }
        }
    }
}

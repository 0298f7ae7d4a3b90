import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The frame walker's stretches, filters, rows and tallies against a plain per-frame loop over
/// the same frames: a copy of the live kernel's tables for 200 000 frames of Normal memory,
/// taken once, so that both read identical bytes (the live tables change between two reads).
/// 70003 frames cross a 64Ki-frame batch and three 32768-frame blocks; the cases run one at a
/// time and keep arrays, not dictionaries, so the test process stays small (the children
/// other suites measure inherit its RSS high-water mark through vfork and exec).
@Suite(.serialized, .enabled(if: isRoot, "copies /proc/kpageflags, kpagecount and kpagecgroup (0400 root)"))
struct FrameWalkerTests {
    static let first: UInt64 = 0x100000
    static let count = 70_003

    /// A directory with kpageflags, kpagecount and kpagecgroup holding the live tables'
    /// entries for [first, first+count) at their offsets (sparse before them).
    static func capture() throws -> (dir: String, flags: [UInt64], counts: [UInt64], cgroups: [UInt64]) {
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-frames.XXXXXX"))
        var tables: [[UInt64]] = []
        for name in ["kpageflags", "kpagecount", "kpagecgroup"] {
            let entries = try #require(RawProc.read64("/proc/\(name)", index: first, count: count), "/proc/\(name)")
            let fd = open("\(dir)/\(name)", O_WRONLY | O_CREAT | O_EXCL, 0o600)
            try #require(fd >= 0)
            let n = entries.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(first * 8)) }
            close(fd)
            try #require(n == count * 8)
            tables.append(entries)
        }
        return (dir, tables[0], tables[1], tables[2])
    }

    static func remove(_ dir: String) {
        for name in ["kpageflags", "kpagecount", "kpagecgroup"] { unlink("\(dir)/\(name)") }
        rmdir(dir)
    }

    @Test(arguments: [[], ["lru,~active"], ["=buddy"], ["slab", "~compound"]])
    func walkerAgreesWithAPerFrameLoop(_ exprs: [String]) throws {
        let (dir, flags, counts, cgroups) = try Self.capture()
        defer { Self.remove(dir) }
        let filter = exprs.isEmpty ? nil : try FlagExpression.parse(exprs)
        for collapse in [true, false] {
            let walker = FrameWalker(
                tables: PhysicalPageReader(root: dir), filter: filter, cgroup: nil, unmovableOnly: false, rows: true,
                collapse: collapse, blockPages: 32768, needMapcount: true, span: (Self.first, Self.first + UInt64(Self.count)))
            var rows: [FrameRow] = []
            walker.rowSink = { rows.append(contentsOf: $0) }
            try walker.walk(start: Self.first, count: UInt64(Self.count))
            // The plain loop: per frame, selected or not.
            var selected = [Bool](repeating: false, count: Self.count)
            var combos: [UInt64: UInt64] = [:]
            var perBlock: [UInt64: UInt64] = [:]
            for i in 0..<Self.count where filter?.matches(PageTypesFlags.expand(flags[i])) ?? true {
                selected[i] = true
                combos[flags[i], default: 0] += 1
                perBlock[(Self.first + UInt64(i)) / 32768, default: 0] += 1
            }
            // Rows cover exactly the selected frames, in PFN order, with their values.
            var covered = [Bool](repeating: false, count: Self.count)
            var last: UInt64 = 0
            var mismatched = 0
            for r in rows {
                #expect(r.pfn >= last)
                last = r.pfn + r.count
                if !collapse { #expect(r.count == 1) }
                for p in r.pfn..<(r.pfn + r.count) {
                    let i = Int(p - Self.first)
                    covered[i] = true
                    if !selected[i] || (flags[i], counts[i], cgroups[i]) != (r.flags, r.mapcount, r.cgroup) { mismatched += 1 }
                }
            }
            #expect(covered == selected, "\(exprs) collapse \(collapse): rows cover other frames than the loop selects")
            #expect(mismatched == 0, "\(mismatched) rows differ from the frames they cover")
            let nSelected = selected.filter { $0 }.count
            let s = walker.summary(names: .running)
            #expect(s.selected == UInt64(nSelected) && s.framesRead == UInt64(Self.count))
            #expect(
                Dictionary(uniqueKeysWithValues: s.combinations.map { (UInt64($0.kpageflags.dropFirst(2), radix: 16)!, $0.pages) })
                    == combos)
            let tallies = walker.blockTallies()
            #expect(tallies.mapValues(\.selected) == perBlock)
        }
    }
}

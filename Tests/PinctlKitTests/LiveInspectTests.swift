import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// Checks pinctl's per-page report against the kernel's own files read independently, page by
/// page, once: the pagemap entry, PFN, mapcount and every flag but the LRU-state ones the
/// kernel may change between the two reads (`StableFlags`).
func expectMatchesKernel(
    pid: Int32, process: ProcessRef, start: UInt64, pages: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let report = try Inspector(process: process).inspect(
        .range(start: start, end: start + UInt64(pages) * 4096), options: InspectOptions(rows: true, collapse: false))
    let raw = RawProc.pagemap(pid, start, pages: pages)
    var mismatches: [String] = []
    if report.pages.count != pages { mismatches.append("rows \(report.pages.count) != pages \(pages)") }
    for (i, row) in report.pages.prefix(pages).enumerated() {
        let e = raw[i]
        if row.pagemap != hexString(e) { mismatches.append("page \(i): pagemap \(row.pagemap) != \(hexString(e))") }
        guard e >> 63 == 1 else { continue }
        let pfn = e & ((1 << 55) - 1)
        if row.pfn != pfn { mismatches.append("page \(i): pfn \(String(describing: row.pfn)) != \(pfn)") }
        let flags = KPageFlags(rawValue: StableFlags.stable(RawProc.kpageflags(pfn))).names
        if StableFlags.stable(row.flags) != flags { mismatches.append("page \(i): flags \(row.flags) != \(flags)") }
        if row.mapcount != RawProc.kpagecount(pfn) { mismatches.append("page \(i): mapcount") }
    }
    #expect(
        mismatches.isEmpty, "pinctl disagrees with /proc: \(mismatches.prefix(5).joined(separator: "; "))", sourceLocation: sourceLocation)
}

@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct LiveInspectTests {
    @Test func anonPagesOfAnotherPidMatchTheKernel() throws {
        let h = try Holder(["anon:256K"])
        defer { h.stop() }
        let r = h.region("anon")
        try expectMatchesKernel(pid: h.pid, process: ProcessRef(pid: h.pid), start: r.start, pages: 64)
        let report = try h.inspect(r)
        #expect(report.summary.present == 64)
        #expect(report.summary.flagCounts["anon"] == 64)
        #expect(report.summary.exclusive == 64)
        #expect(report.exitStatus == ExitStatus.ok)
    }

    @Test func selfInspectionMatchesTheKernel() throws {
        let len = 32 * 4096
        let p = mmap(nil, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        defer { munmap(p, len) }
        madvise(p, len, 15 /* MADV_NOHUGEPAGE */)
        for i in stride(from: 0, to: len, by: 4096) { p.storeBytes(of: UInt8(1), toByteOffset: i, as: UInt8.self) }
        let start = UInt64(UInt(bitPattern: p))
        try expectMatchesKernel(pid: getpid(), process: .current, start: start, pages: 32)
    }

    @Test func thpIsOneCollapsedRowWhoseHeadMatchesTheKernel() throws {
        let h = try Holder(["thp:4M"])
        defer { h.stop() }
        let r = h.region("thp")
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(
            .range(start: r.start, end: r.start + r.size), options: InspectOptions(rows: true))
        let smaps = report.vmas.first { $0.start == hexString(r.start) }
        try #require(
            smaps?.anonHugePages == 4 << 20, "the kernel gave no THP here (AnonHugePages \(String(describing: smaps?.anonHugePages)))")
        #expect(report.pages.count == 2)
        for row in report.pages {
            #expect(row.count == 512 && row.compound)
            let pfn = try #require(row.pfn)
            #expect(pfn % 512 == 0)
            #expect(row.flags.contains("thp") && row.flags.contains("compound_head"))
            #expect(KPageFlags(rawValue: RawProc.kpageflags(pfn)).contains([.thp, .compoundHead]))
        }
        #expect(report.summary.thp == 1024)
        // Every page, tails included, read one by one.
        try expectMatchesKernel(pid: h.pid, process: ProcessRef(pid: h.pid), start: r.start, pages: 1024)
    }

    @Test func fileBackedPagesAreMarkedFileAndCarryPageCacheFlags() throws {
        let path = "/tmp/pinctl-live-file-\(getpid())"
        try writeSyncedFile(path, bytes: Data(repeating: 0x5a, count: 64 * 1024))
        defer { unlink(path) }
        let h = try Holder(["file:64K:\(path)"])
        defer { h.stop() }
        let r = h.region("file")
        let report = try h.inspect(r)
        #expect(report.vmas.first?.path == path)
        #expect(report.summary.present == 16)
        #expect(report.summary.fileOrShared == 16)
        #expect(report.summary.flagCounts["anon"] == nil)
        #expect(report.summary.flagCounts["mmap"] == 16)
        try expectMatchesKernel(pid: h.pid, process: ProcessRef(pid: h.pid), start: r.start, pages: 16)
    }

    @Test func mlockedPagesShowMlockedUnevictableAndLockedVMA() throws {
        let h = try Holder(["mlock:64K"])
        defer { h.stop() }
        let r = h.region("mlock")
        let report = try h.inspect(r)
        #expect(report.summary.locked == 16)
        #expect(report.summary.unevictable == 16)
        #expect(report.vmas.first?.vmFlags.contains("lo") == true)
        #expect(report.vmas.first?.locked == 64 * 1024)
        try expectMatchesKernel(pid: h.pid, process: ProcessRef(pid: h.pid), start: r.start, pages: 16)
        let maps = try MapsReport.read(ProcessRef(pid: h.pid))
        #expect(maps.vmLck == 64 * 1024)
    }

    @Test func readOnlyTouchedAnonPagesAreTheZeroPage() throws {
        let h = try Holder(["zero:64K"])
        defer { h.stop() }
        let r = h.region("zero")
        let report = try h.inspect(r)
        #expect(report.summary.zero == 16)
        #expect(report.summary.exclusive == 0)
        try expectMatchesKernel(pid: h.pid, process: ProcessRef(pid: h.pid), start: r.start, pages: 16)
    }

    @Test func untouchedPagesAreAbsentAndCollapseToOneRow() throws {
        let h = try Holder(["untouched:1M"])
        defer { h.stop() }
        let r = h.region("untouched")
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(
            .range(start: r.start, end: r.start + r.size), options: InspectOptions(rows: true))
        #expect(report.summary.present == 0 && report.summary.notPresent == 256)
        #expect(report.pages.count == 1 && report.pages[0].count == 256)
    }

    @Test func swappedOutPagesShowTheirSwapEntry() throws {
        let swap = try ZramSwap.enable()
        defer { swap.disable() }
        let h = try Holder(["pageout:256K"])
        defer { h.stop() }
        let r = h.region("pageout")
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(
            .range(start: r.start, end: r.start + r.size), options: InspectOptions(rows: true, collapse: false))
        #expect(report.summary.swapped == 64, "MADV_PAGEOUT with zram swap should have swapped all 64 pages")
        let raw = RawProc.pagemap(h.pid, r.start, pages: 64)
        for (i, row) in report.pages.enumerated() where row.swapped {
            #expect(row.swapType == raw[i] & 0x1f)
            #expect(row.swapOffset == (raw[i] & ((1 << 55) - 1)) >> 5)
            #expect(row.pfn == nil)
        }
        #expect(report.vmas.first?.swap == 256 * 1024)
    }

    @Test func mappingNamesSelectTheirVMAs() throws {
        let stack = try Inspector(process: .current).inspect(.mapping("[stack]"))
        #expect(stack.vmas.count == 1 && stack.vmas[0].path == "[stack]")
        #expect(stack.summary.present > 0)
        let libc = try Inspector(process: .current).inspect(.mapping("libc.so.6"))
        #expect(libc.vmas.count >= 2)
        #expect(libc.vmas.allSatisfy { $0.path.hasSuffix("/libc.so.6") })
        #expect(libc.summary.fileOrShared > 0)
    }

    /// The summary from PAGEMAP_SCAN's heads (THP tails read once at their head) is the one
    /// reading every entry gives: counts, runs and flag counts compared once, without the
    /// LRU-state flags the kernel may change between the two reads (`StableFlags`).
    @Test func headOnlyAndFullReadsGiveTheSameSummary() throws {
        let h = try Holder(["anon:1M", "thp:4M"])
        defer { h.stop() }
        for kind in ["anon", "thp"] {
            let r = h.region(kind)
            let target = InspectTarget.range(start: r.start, end: r.start + r.size)
            let scanned = try Inspector(process: ProcessRef(pid: h.pid)).inspect(target, options: InspectOptions(useScan: true))
            let plain = try Inspector(process: ProcessRef(pid: h.pid)).inspect(target, options: InspectOptions(useScan: false))
            let a = scanned.summary, b = plain.summary
            #expect(
                a.present == b.present && a.thp == b.thp && a.physicalRuns == b.physicalRuns && a.longestRunPages == b.longestRunPages
                    && a.exclusive == b.exclusive && a.softDirty == b.softDirty, "\(kind): counts differ: \(a) vs \(b)")
            #expect(a.present == r.size / 4096, "\(kind): \(a.present) present")
            #expect(StableFlags.stable(a.flagCounts) == StableFlags.stable(b.flagCounts), "\(kind): \(a.flagCounts) vs \(b.flagCounts)")
        }
    }

    @Test func guardPagesAreGuardNotSwapped() throws {
        let h: Holder
        do {
            h = try Holder(["guard:64K"])
        } catch Holder.HolderError.exited(let out) {
            try Test.cancel("MADV_GUARD_INSTALL refused (needs 6.15+): \(out)")
        }
        defer { h.stop() }
        let r = h.region("guard")
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(
            .range(start: r.start, end: r.start + r.size), options: InspectOptions(rows: true, collapse: false))
        #expect(report.summary.guardRegion == 8)
        #expect(report.summary.swapped == 0)
        #expect(report.summary.present == 8)
        for (i, row) in report.pages.enumerated() {
            #expect(row.guardRegion == (i % 2 == 0))
            #expect(!row.swapped)
        }
    }

    @Test func hugetlbPagesAreHugeAndCollapseByTheirSize() throws {
        let hugetlb = try HugetlbReservation(pages: 2)
        defer { hugetlb.release() }
        let h = try Holder(["hugetlb:4M"])
        defer { h.stop() }
        let r = h.region("hugetlb")
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(
            .range(start: r.start, end: r.start + r.size), options: InspectOptions(rows: true))
        #expect(report.vmas.first?.vmFlags.contains("ht") == true)
        #expect(report.summary.huge == 1024)
        #expect(report.pages.count == 2)
        #expect(report.pages.allSatisfy { $0.count == 512 && $0.flags.contains("huge") })
        try expectMatchesKernel(pid: h.pid, process: ProcessRef(pid: h.pid), start: r.start, pages: 1024)
    }
}

extension Holder {
    /// pinctl's report on one of the holder's regions, from the library in this process.
    func inspect(_ r: (start: UInt64, size: UInt64)) throws -> InspectReport {
        try Inspector(process: ProcessRef(pid: pid)).inspect(.range(start: r.start, end: r.start + r.size))
    }
}

/// A zram swap device for tests that need MADV_PAGEOUT to really swap; undone afterwards.
/// Uses the swap already there if there is one.
struct ZramSwap {
    let owned: Bool

    static func enable() throws -> ZramSwap {
        let swaps = (try? readProcText("/proc/swaps")) ?? ""
        if swaps.split(separator: "\n").count > 1 { return ZramSwap(owned: false) }
        guard FileManager.default.fileExists(atPath: "/sys/block/zram0") else {
            try Test.cancel("no swap and no /sys/block/zram0: this kernel has no zram, so MADV_PAGEOUT cannot swap")
        }
        _ = try? run(["/bin/sh", "-c", "echo 1 > /sys/block/zram0/reset"])
        let r = try run(["/bin/sh", "-c", "echo 256M > /sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0"])
        guard r.status == 0 else { try Test.cancel("could not enable zram swap: \(r.stderr)") }
        return ZramSwap(owned: true)
    }

    func disable() {
        guard owned else { return }
        _ = try? run(["/bin/sh", "-c", "swapoff /dev/zram0; echo 1 > /sys/block/zram0/reset"])
    }
}

import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// io_uring's pins per registered buffer: one per page, or from 6.10 one per large folio
/// when the buffer's pages coalesce (io_uring/rsrc.c, io_check_coalesce_buffer). The rule on
/// made-up folios, then live on the host against the buffer's folios read independently.
@Suite struct IoUringCoalescingTests {
    /// Pages of folios of `size` pages at PFNs from `base`, `count` of them from page `skip`.
    static func pages(base: UInt64, size: UInt64, skip: UInt64 = 0, count: UInt64) -> [FolioPage] {
        (skip..<(skip + count)).map { i in
            let pfn = base + i
            return FolioPage(pfn: pfn, head: size == 1 ? pfn : pfn - pfn % size, pages: size)
        }
    }

    static func pins(_ pages: [FolioPage]) -> UInt64 {
        var c = IoUringCoalescing()
        for p in pages { c.add(p) }
        return c.pins
    }

    @Test func smallPagesKeepAPinEach() {
        #expect(Self.pins(Self.pages(base: 1000, size: 1, count: 300)) == 300)
        // Scattered small pages too.
        #expect(Self.pins([FolioPage(pfn: 9, head: 9, pages: 1), FolioPage(pfn: 3, head: 3, pages: 1)]) == 2)
    }

    @Test func wholeTHPsKeepOnePinPerFolio() {
        // 64 MiB of 2 MiB folios, physically anywhere: 32 folios, 32 pins.
        var pages: [FolioPage] = []
        for f in 0..<32 { pages += Self.pages(base: UInt64(f * 7 + 3) * 512, size: 512, count: 512) }
        #expect(Self.pins(pages) == 32)
    }

    @Test func aBufferMayStartAndEndInsideAFolio() {
        // From page 500 of one THP to page 9 of the next: 2 folios.
        let first = Self.pages(base: 512 * 10, size: 512, skip: 500, count: 12)
        let second = Self.pages(base: 512 * 40, size: 512, count: 10)
        #expect(Self.pins(first + second) == 2)
    }

    @Test func anythingElseKeepsAPinPerPage() {
        let thp = Self.pages(base: 512 * 10, size: 512, count: 512)
        // The first folio stops short of its end before the next folio.
        #expect(Self.pins(Array(thp.prefix(100)) + Self.pages(base: 512 * 20, size: 512, count: 512)) == 612)
        // A folio of another size.
        #expect(Self.pins(thp + Self.pages(base: 16 * 900, size: 16, count: 16)) == 528)
        // A later folio entered past its first page.
        #expect(Self.pins(thp + Self.pages(base: 512 * 30, size: 512, skip: 1, count: 100)) == 612)
        // Pages of one folio out of order.
        #expect(Self.pins([thp[0], thp[2], thp[1]]) == 3)
        // A small page after a THP.
        #expect(Self.pins(thp + [FolioPage(pfn: 7, head: 7, pages: 1)]) == 513)
        // One page is one pin, in a THP or not.
        #expect(Self.pins([thp[5]]) == 1)
    }

    @Test func coalescingStartedIn610() {
        #expect(!IoUringPinCounter.kernelCoalesces(release: "6.1.0-57-amd64"))
        #expect(!IoUringPinCounter.kernelCoalesces(release: "6.9.12"))
        #expect(IoUringPinCounter.kernelCoalesces(release: "6.10.0"))
        #expect(IoUringPinCounter.kernelCoalesces(release: "6.12.117+deb12-amd64"))
        #expect(IoUringPinCounter.kernelCoalesces(release: "6.18.44-fc-v657"))
    }
}

@Suite(
    .serialized, .enabled(if: isRoot, "the census reads pagemap PFNs and kpageflags and writes stat_refresh: it needs root"),
    .needsBuiltPinctl)
struct IoUringPinCountLiveTests {
    /// A 64 MiB registered buffer of THPs: the census's pins are the ones the buffer's pages
    /// call for, read independently (RawProc: pagemap PFNs, kpageflags): from 6.10 one per
    /// 2 MiB folio when every page lies in one, else (and before 6.10) one per page. Pinned
    /// pages neither move nor split, so the two reads compare once. The vmstat FOLL_PIN
    /// delta is no baseline here: every pinner on the host moves it between two reads.
    @Test func thpBackedBufferPinsMatchItsFolios() throws {
        let release = KernelRelease.current()
        let holder = try PinHolder(["--method", "iouring", "--for", "60s", "anon:64M,thp"])
        defer { holder.stop() }
        let report = try Census.take()
        let row = try #require(report.rows.first { $0.pid == holder.pid }, "no census row for the io_uring holder")
        let rings = row.ioUringRings
        #expect(rings.count == 1 && rings.allSatisfy(\.pinnedPagesExact), "\(rings)")
        let buffer = try #require(rings.first?.buffers.first)
        #expect(buffer.length == 64 << 20)
        let pages = Int(buffer.length / 4096)
        let pfns = RawProc.pagemap(holder.pid, buffer.address, pages: pages).map { $0 >> 63 == 1 ? $0 & ((1 << 55) - 1) : 0 }
        #expect(!pfns.contains(0), "a page of the pinned buffer is not present")
        let thp = KPageFlags.thp.rawValue
        let inTHPs = pfns.allSatisfy { RawProc.kpageflags($0) & thp != 0 }
        let folios = Set(pfns.map { $0 / 512 }).count
        if IoUringPinCounter.kernelCoalesces(release: release) && inTHPs {
            #expect(row.ioUringPinPages == UInt64(folios), "\(folios) THPs, \(row.ioUringPinPages) pins")
            #expect(folios < pages, "no THP coalescing seen: \(folios) folios")
        } else {
            #expect(
                row.ioUringPinPages == UInt64(pages),
                "\(inTHPs ? "no coalescing before 6.10" : "not all in THPs"): \(row.ioUringPinPages) pins")
        }
        // VmPin is the memory, not the pins: io_uring charges every page.
        #expect(row.vmPinBytes == 64 << 20 && row.attributedPinPages == row.ioUringPinPages)
    }

    @Test func unreadableFoliosAreAnUpperBoundSaidSo() throws {
        // What the census renders when the folios could not be read (not root, no PFNs).
        let ring = IoUringRing(fd: 4, userBufs: 1, buffers: [IoUringBuffer(address: 0x7000_0000_0000, length: 2 << 20)])
        #expect(!ring.pinnedPagesExact && ring.pinnedPages == 512)
        let row = CensusRow(
            pid: 7, comm: "x", commBytes: nil, cgroup: "/", vmPinBytes: 2 << 20, vmLckBytes: 0, lockedVMAs: [], ioUringRings: [ring],
            deviceFds: [])
        let totals = CensusTotals(
            follPin: nil, follPinOutstandingPages: nil, attributedPinPages: 0, unattributedPinPages: nil, mlockedBytes: nil,
            unevictableBytes: nil, hugetlbInUseBytes: nil, hugetlbTotalBytes: nil, cmaTotalBytes: nil, cmaFreeBytes: nil,
            movableZones: [])
        let report = CensusReport(
            kernel: "6.18", totals: totals, rows: [row], processesScanned: 1, processesVanished: 0, processesUnreadable: 0,
            missingSources: [], deep: nil, scanSeconds: 0)
        #expect(CensusTextRendering.render(report).contains("at most 512 pages pinned (large folios not read"))
        #expect(
            OpenMetricsRendering.render(report).contains(
                #"pinctl_process_io_uring_pinned_pages{pid="7",comm="x",cgroup="/",bound="upper"} 512"#))
        #expect(try !renderJSON(report).contains("pinnedPages"))
    }
}

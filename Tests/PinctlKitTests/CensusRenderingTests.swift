import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The census renderers on a report built by hand: what the OpenMetrics text holds when a
/// source is missing, how hostile strings come out, and that text output is summary first.
@Suite struct CensusRenderingTests {
    static func report(cma: UInt64?, cgroup: String) -> CensusReport {
        let row = CensusRow(
            pid: 42, comm: "q\"uote", commBytes: nil, cgroup: cgroup, vmPinBytes: 8192, vmLckBytes: 0, lockedVMAs: [],
            ioUringRings: [
                IoUringRing(fd: 5, userBufs: 1, buffers: [IoUringBuffer(address: 0x7000_0000_0000, length: 8192, pinnedPages: 2)])
            ],
            deviceFds: [DeviceFd(fd: 9, kind: .v4l2, path: "/dev/video0", major: 81, minor: 0)])
        let totals = CensusTotals(
            follPin: FollPinCounters(acquired: 10, released: 4), follPinOutstandingPages: 6, attributedPinPages: 2,
            unattributedPinPages: 4, mlockedBytes: 0, unevictableBytes: 0, hugetlbInUseBytes: 0, hugetlbTotalBytes: 0,
            cmaTotalBytes: cma, cmaFreeBytes: cma, movableZones: [MovableZone(node: 1, presentPages: 3, freePages: 1)])
        return CensusReport(
            kernel: "6.18", totals: totals, rows: [row], processesScanned: 3, processesVanished: 1, processesUnreadable: 0,
            missingSources: cma == nil ? ["CMA: none"] : [], deep: nil, scanSeconds: 0.01)
    }

    /// "# TYPE name type" lines, and every sample's metric name.
    static func families(_ text: String) -> (typed: [String: String], helped: Set<String>, samples: Set<String>) {
        var typed: [String: String] = [:]
        var helped: Set<String> = []
        var samples: Set<String> = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", maxSplits: 3)
            if line.hasPrefix("# TYPE ") {
                typed[String(f[2])] = String(f[3])
            } else if line.hasPrefix("# HELP ") {
                helped.insert(String(f[2]))
            } else {
                samples.insert(String(line.prefix { $0 != "{" && $0 != " " }))
            }
        }
        return (typed, helped, samples)
    }

    @Test func everyOpenMetricsFamilyHasHelpTypeAndAUnit() {
        let text = OpenMetricsRendering.render(Self.report(cma: 1 << 20, cgroup: "/"))
        let (typed, helped, samples) = Self.families(text)
        #expect(Set(typed.keys) == samples)
        #expect(helped == samples)
        let units = [
            "_bytes", "_pages", "_seconds", "_pages_total", "_buffers", "_vmas", "_fds", "_processes", "_sources", "_regions", "_devices",
        ]
        for name in samples {
            #expect(units.contains { name.hasSuffix($0) }, "\(name) names no unit")
            #expect(typed[name] == (name.hasSuffix("_total") ? "counter" : "gauge"))
        }
        #expect(text.contains("pinctl_cma_total_bytes 1048576"))
        #expect(text.contains(#"pinctl_movable_zone_present_bytes{node="1"} 12288"#))
        #expect(text.contains(#"pinctl_process_device_fds{pid="42",comm="q\"uote",cgroup="/",kind="v4l2"} 1"#))
        #expect(text.contains("pinctl_foll_pin_acquired_pages_total 10"))
    }

    @Test func aMissingSourceHasNoSeriesRatherThanAZero() {
        let text = OpenMetricsRendering.render(Self.report(cma: nil, cgroup: "/"))
        #expect(!text.contains("pinctl_cma_total_bytes"))
        #expect(text.contains("pinctl_census_missing_sources 1"))
    }

    @Test func hostileCgroupReachesTheLabelEscapedTwice() {
        // A newline and ESC: terminal-escaped first (\x0a, \x1b), then the format escapes
        // the backslashes that produced.
        let text = OpenMetricsRendering.render(Self.report(cma: nil, cgroup: "/a\nb\u{1b}c"))
        #expect(!text.utf8.contains(0x1b))
        #expect(text.contains(#"cgroup="/a\\x0ab\\x1bc""#))
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("pinctl_") })
    }

    @Test func textOutputIsSummaryFirstThenRowsThenMissingSources() {
        let text = CensusTextRendering.render(Self.report(cma: nil, cgroup: "/"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("census  kernel 6.18  3 processes, 1 rows, 1 exited mid-scan"))
        #expect(lines[1].hasPrefix("FOLL_PIN outstanding  6 pages"))
        #expect(lines[2].contains("attributed 2 pages") && lines[2].contains("unattributed 4 pages"))
        let header = lines.firstIndex { $0.hasPrefix("PID ") }!
        #expect(lines[header + 1].hasPrefix("42 ") && lines[header + 1].contains("v4l2"))
        #expect(lines.contains("    io_uring fd 5: 1 buffers, 8 KiB, 2 pages pinned"))
        #expect(lines.contains("    device fd 9: v4l2 /dev/video0 (81:0)"))
        #expect(lines.last == "missing: CMA: none")
    }

    static func kmodPins() -> KernelHelperPins {
        let mine = KernelHeldPin(
            handle: 2, address: 0x7f00_0000_0000, pages: 4, flags: ["write", "longterm"], targetPID: 77, targetExited: false,
            chargedUID: 0, chargedToMemlock: false, pinnerPID: 77)
        let orphan = KernelHeldPin(
            handle: 5, address: nil, pages: 2, flags: ["longterm", "remote"], targetPID: nil, targetExited: true, chargedUID: 1000,
            chargedToMemlock: true, pinnerPID: nil)
        let file = KernelHelperFile(
            fileID: 3, openerPID: 77, openerUID: 0, openerComm: "hold\u{1b}er", heldPages: 6, handles: 2, isThisDescriptor: false,
            pins: [mine, orphan])
        return KernelHelperPins(files: [file], complete: true, follPinPages: 6, follPinPagesOutsideRows: 2)
    }

    @Test func kernelHelperPinsAreListedPerFileWithOwnerTargetAndHiddenAddress() throws {
        var r = Self.report(cma: 1 << 20, cgroup: "/")
        r.kernelHelperPins = Self.kmodPins()
        let lines = CensusTextRendering.render(r).split(separator: "\n").map(String.init)
        let head = try #require(lines.firstIndex { $0.hasPrefix("pins held through /dev/pinctl:") })
        #expect(lines[head].contains("1 open files, 6 FOLL_PIN pages (2 of them for no row"))
        #expect(lines[head + 1] == "    file 3 opened by pid 77 (hold\\x1ber) uid 0: 2 pins, 6 pages (24 KiB)")
        #expect(lines[head + 2] == "        handle 2 0x7f0000000000+4 pages write,longterm target pid 77 uid 0")
        #expect(lines[head + 3] == "        handle 5 (address hidden)+2 pages longterm,remote target exited uid 1000")
        let metrics = OpenMetricsRendering.render(r)
        #expect(metrics.contains(#"pinctl_kmod_file_pinned_pages{file="3",pid="77",comm="hold\\x1ber",uid="0"} 6"#))
        let (typed, helped, samples) = Self.families(metrics)
        #expect(Set(typed.keys) == samples && helped == samples)
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(json.contains(#""follPinPagesOutsideRows":2"#) && json.contains(#""targetExited":true"#))
        if let promtool {
            let file = NSTemporaryDirectory() + "pinctl-kmod-\(getpid()).prom"
            try metrics.write(toFile: file, atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let check = try run([promtool, "check", "metrics"], stdinFile: file)
            #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "promtool: \(check.stdout) \(check.stderr)")
        }
    }
}

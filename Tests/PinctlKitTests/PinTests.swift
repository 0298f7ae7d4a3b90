import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// A `pinctl pin` running in the background, holding until signalled.
final class PinHolder {
    let process = Process()
    let pidfile = "/tmp/pinctl-test-\(getpid())-\(UUID().uuidString.prefix(8)).pid"
    let out = Pipe(), err = Pipe()
    var pid: Int32 { process.processIdentifier }

    init(_ args: [String], launcher: [String] = []) throws {
        let argv = launcher + [builtBinary("pinctl"), "pin", "--json", "--pidfile", pidfile] + args
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: pidfile) {
            if !process.isRunning {
                let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw HolderFailed(status: process.terminationStatus, stderr: e)
            }
            if Date() > deadline { throw HolderFailed(status: -1, stderr: "no pidfile after 30 s") }
            usleep(10_000)
        }
    }

    /// Sends `sig` and waits; returns the exit status (or the signal for SIGKILL).
    @discardableResult
    func stop(_ sig: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, sig)
        process.waitUntilExit()
        return process.terminationStatus
    }

    var stdout: String { String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }

    /// The JSON report the holder printed (it is printed before the pidfile is written).
    func reportLine() -> String {
        let d = out.fileHandleForReading.availableData
        return String(decoding: d, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    deinit {
        if process.isRunning { stop(SIGKILL) }
        unlink(pidfile)
    }

    struct HolderFailed: Error, CustomStringConvertible {
        let status: Int32
        let stderr: String
        var description: String { "pinctl pin exited \(status): \(stderr)" }
    }
}

func statusField(_ pid: Int32, _ key: String) -> UInt64? {
    guard let text = try? readProcText("/proc/\(pid)/status") else { return nil }
    let s = ProcStatus.parse(text)
    return key == "VmLck" ? s.vmLck : s.vmPin
}

func pinJSON(_ args: [String], as launcher: [String] = []) throws -> (CommandResult, [String: Any]?) {
    let r = try pinctl(["pin", "--json", "--for", "0"] + args, as: launcher)
    let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return (r, json)
}

@Suite(
    .serialized, .enabled(if: isRoot, "live pin tests need root (CAP_IPC_LOCK, kpageflags, compaction, zram)"),
    .needsBuiltPinctl)
struct PinTests {
    /// Without CAP_SYS_ADMIN pagemap reads PFN 0 for every present page: the physical runs
    /// are unknown, and the report says so instead of counting every page as its own run
    /// (or blaming the shared zero page).
    @Test func physicalRunsAreUnknownWhenPagemapHidesPFNs() throws {
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let json = try pinctl(["pin", "--method", "populate", "--write", "--for", "0", "--json", "anon:1M"], as: nobody)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"pfnHidden\":true"), "\(json.stdout)")
        #expect(json.stdout.contains("\"pfnRuns\":null"), "\(json.stdout)")
        let text = try pinctl(["pin", "--method", "populate", "--write", "--for", "0", "anon:1M"], as: nobody)
        #expect(text.stdout.contains("PFNs hidden: needs CAP_SYS_ADMIN"), "\(text.stdout)")
        let root = try pinctl(["pin", "--method", "populate", "--write", "--for", "0", "--json", "anon:1M"])
        #expect(root.stdout.contains("\"pfnHidden\":false"), "\(root.stdout)")
        #expect(!root.stdout.contains("\"pfnRuns\":null"), "\(root.stdout)")
    }

    static let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    static func limited(_ bytes: UInt64) -> [String] { ["/usr/bin/prlimit", "--memlock=\(bytes):\(bytes)"] + nobody }

    @Test func populateFaultsEveryPageInAndPinsNothing() throws {
        let (r, json) = try pinJSON(["--method", "populate", "--write", "anon:16M"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(json)
        #expect(j["method"] as? String == "populate")
        #expect(j["pages"] as? Int == 4096)
        #expect(j["residentPages"] as? Int == 4096)
        #expect(j["pinnedPages"] as? Int == 0)
        #expect((j["pagesPerSecond"] as? Double ?? 0) > 0)
    }

    @Test func mlockHoldsLockedPagesUntilSIGTERMAndReleasesThem() throws {
        let h = try PinHolder(["--method", "mlock", "anon:16M"])
        #expect(statusField(h.pid, "VmLck") == 16 << 20)
        let maps = try MapsReport.read(ProcessRef(pid: h.pid))
        let locked = try #require(maps.vmas.first { $0.vmFlags.contains("lo") })
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(
            .range(start: UInt64(locked.start.dropFirst(2), radix: 16)!, end: UInt64(locked.end.dropFirst(2), radix: 16)!))
        #expect(report.summary.locked == 4096)
        #expect(h.stop(SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: h.pidfile), "the pidfile is removed on release")
    }

    /// mlock2 faults the range in itself (for write on a private writable mapping),
    /// so `--method mlock` makes one pass; only a shared mapping asked `--write` (mlock2
    /// faults it for read) and MLOCK_ONFAULT populate first.
    @Test func mlockFaultsInAndLocksInOnePass() throws {
        for args in [["--write", "anon:16M"], ["anon:16M"], ["anon:16M,thp"]] {
            let (r, j) = try pinJSON(["--method", "mlock"] + args)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(j?["detail"] as? String == "mlock2", "\(args): \(r.stdout)")
            #expect(j?["residentPages"] as? Int == 4096 && j?["pinnedPages"] as? Int == 4096, "\(args): \(r.stdout)")
            #expect(j?["vmLck"] as? Int == 16 << 20)
        }
        let (m, mj) = try pinJSON(["--method", "mlock", "--write", "memfd:4M"])
        #expect(m.status == 0, "\(m.stderr)")
        #expect(mj?["detail"] as? String == "mlock2 after MADV_POPULATE_WRITE", "\(m.stdout)")
        let (o, oj) = try pinJSON(["--method", "mlock", "--on-fault", "anon:4M"])
        #expect(o.status == 0, "\(o.stderr)")
        #expect(oj?["detail"] as? String == "mlock2(MLOCK_ONFAULT) after populating", "\(o.stdout)")
        #expect(oj?["residentPages"] as? Int == 1024)
    }

    /// `,nothp` maps with MADV_NOHUGEPAGE (VmFlags "nh") and `,thp` with MADV_HUGEPAGE ("hg"):
    /// 4K pages even where THP is "always" (as in Debian's own kernels' VMs), for 4K benchmarks.
    @Test func nothpAndThpRangesCarryTheirAdvice() throws {
        for (spec, flag) in [("anon:8M,nothp", "nh"), ("anon:8M,thp", "hg")] {
            let h = try PinHolder(["--method", "mlock", spec])
            let maps = try MapsReport.read(ProcessRef(pid: h.pid))
            let vma = maps.vmas.first { $0.vmFlags.contains("lo") }
            #expect(vma?.vmFlags.contains(flag) == true, "\(spec): \(String(describing: vma?.vmFlags))")
            #expect(h.stop(SIGTERM) == 0)
        }
    }

    @Test func iouringPinsShowInVmPinAndInspectSeesThemResident() throws {
        let h = try PinHolder(["--method", "iouring", "--verify", "memfd:16M"])
        #expect(statusField(h.pid, "VmPin") == 16 << 20)
        // The holder's own report and an outside look at its pages agree: all resident, in place.
        let report = try #require(try JSONSerialization.jsonObject(with: Data(h.reportLine().utf8)) as? [String: Any])
        let start = UInt64((report["start"] as! String).dropFirst(2), radix: 16)!
        let seen = try Inspector(process: ProcessRef(pid: h.pid)).inspect(.range(start: start, end: start + (16 << 20)))
        #expect(seen.summary.present == 4096)
        #expect(seen.summary.fileOrShared == 4096)
        #expect((report["pfnRuns"] as? Int).map(UInt64.init) == seen.summary.physicalRuns)
        #expect(h.stop(SIGINT) == 0)
    }

    @Test func iouringChargeIsReleasedWhenTheHolderIsKilled() throws {
        // nobody has RLIMIT_MEMLOCK 6 MiB (below root's 8 MiB hard limit here): one 4 MiB
        // io_uring pin fits, two do not, because the charge is per user, across processes.
        let limit = Self.limited(6 << 20)
        let first = try PinHolder(["--method", "iouring", "anon:4M"], launcher: limit)
        let whileHeld = try pinctl(["pin", "--method", "iouring", "--for", "0", "anon:4M"], as: limit)
        #expect(whileHeld.status == ExitStatus.refused, "a second pin must not fit while the first is held: \(whileHeld.stderr)")
        #expect(whileHeld.stderr.contains("RLIMIT_MEMLOCK"))
        first.stop(SIGKILL)
        // The ring is torn down asynchronously after the kill: allow it a few seconds.
        var after = whileHeld
        for _ in 0..<50 {
            after = try pinctl(["pin", "--method", "iouring", "--for", "0", "anon:4M"], as: limit)
            if after.status == 0 { break }
            usleep(100_000)
        }
        #expect(after.status == 0, "a fresh process must get the budget back after SIGKILL: \(after.stderr)")
    }

    @Test func overRLIMIT_MEMLOCKIsRefusedWithTheFix() throws {
        for method in ["mlock", "iouring"] {
            let r = try pinctl(["pin", "--method", method, "--for", "0", "anon:16M"], as: Self.limited(1 << 20))
            #expect(r.status == ExitStatus.refused, "\(method): \(r.stderr)")
            #expect(r.stderr.contains("RLIMIT_MEMLOCK") && r.stderr.contains("ulimit -l") && r.stderr.contains("CAP_IPC_LOCK"))
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }

    /// As nobody every probe is skipped (compaction and soft-offline need root): the report
    /// says the pages were not tested instead of "held N, moved 0".
    @Test func verifyWithEveryProbeSkippedSaysUntested() throws {
        let r = try pinctl(["pin", "--method", "populate", "--verify", "--for", "0", "anon:1M"], as: Self.nobody)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("verify: untested") && !r.stdout.contains("verify: held"), "\(r.stdout)")
        let j = try pinctl(["pin", "--method", "populate", "--verify", "--for", "0", "--json", "anon:1M"], as: Self.nobody)
        #expect(j.stdout.contains("\"tested\":false"), "\(j.stdout)")
    }

    @Test func verifyShowsIoUringPagesHeldAndMlockedPagesMoved() throws {
        let (u, uj) = try pinJSON(["--method", "iouring", "--verify", "anon:4M"])
        #expect(u.status == 0, "\(u.stderr)")
        let uv = try #require(uj?["verify"] as? [String: Any])
        #expect(uv["held"] as? Int == 1024)
        let uprobes = try #require(uv["probes"] as? [[String: Any]])
        #expect(uprobes.first { $0["probe"] as? String == "MADV_COLLAPSE" }?["outcome"] as? String == "refused")

        let (m, mj) = try pinJSON(["--method", "mlock", "--verify", "anon:4M"])
        #expect(m.status == 0, "\(m.stderr)")
        let mv = try #require(mj?["verify"] as? [String: Any])
        let mprobes = try #require(mv["probes"] as? [[String: Any]])
        #expect(mprobes.first { $0["probe"] as? String == "MADV_COLLAPSE" }?["outcome"] as? String == "ran")
        #expect((mv["moved"] as? Int ?? 0) > 0, "MADV_COLLAPSE copies mlocked pages into a huge page: they move")
    }

    @Test func verifyWithSwapEvictsPopulatedPagesButNotPinnedOnes() throws {
        let swap = try ZramSwap.enable()
        defer { swap.disable() }
        let (p, pj) = try pinJSON(["--method", "populate", "--write", "--verify", "anon:4M"])
        #expect(p.status == 0, "\(p.stderr)")
        let pv = try #require(pj?["verify"] as? [String: Any])
        #expect((pv["evicted"] as? Int ?? 0) > 0, "MADV_PAGEOUT with swap evicts unpinned anonymous pages")

        let (u, uj) = try pinJSON(["--method", "iouring", "--verify", "anon:4M"])
        #expect(u.status == 0, "\(u.stderr)")
        let uv = try #require(uj?["verify"] as? [String: Any])
        #expect(uv["held"] as? Int == 1024, "io_uring-pinned pages stay present and in place")

        let (m, mj) = try pinJSON(["--method", "mlock", "--verify", "anon:4M"])
        let mprobes = try #require((mj?["verify"] as? [String: Any])?["probes"] as? [[String: Any]])
        #expect(m.status == 0)
        #expect(mprobes.first { $0["probe"] as? String == "MADV_PAGEOUT" }?["outcome"] as? String == "refused")
    }

    @Test func fileRangesAreRefusedByIoUringAndAutoFallsBackToMlock() throws {
        let path = "/tmp/pinctl-pin-file-\(getpid())"
        try Data(repeating: 7, count: 64 << 10).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let r = try pinctl(["pin", "--method", "iouring", "--for", "0", "file:\(path)"])
        #expect(r.status == ExitStatus.refused)
        #expect(r.stderr.contains("file-backed") && r.stderr.split(separator: "\n").count == 1)
        let (a, aj) = try pinJSON(["file:\(path)"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(aj?["method"] as? String == "mlock")
        #expect((aj?["chosenBecause"] as? String)?.contains("file-backed") == true)
        #expect(aj?["residentPages"] as? Int == 16)
        let dry = try pinctl(["pin", "--dry-run", "--json", "file:\(path)"])
        let verdicts = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [[String: Any]])
        #expect(verdicts.first { $0["method"] as? String == "iouring" }?["works"] as? Bool == false)
        #expect(verdicts.first { $0["method"] as? String == "mlock" }?["works"] as? Bool == true)
    }

    @Test func shmRangeIsCreatedAndRemovedOnRelease() throws {
        let name = "pinctl-test-\(getpid())"
        let (r, j) = try pinJSON(["--method", "iouring", "shm:\(name):2M"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(j?["backing"] as? String == "shmem")
        #expect(!FileManager.default.fileExists(atPath: "/dev/shm/\(name)"))
    }

    @Test func holdEndsWhenForExpires() throws {
        let start = Date()
        let r = try pinctl(["pin", "--method", "mlock", "--for", "300ms", "anon:1M"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Date().timeIntervalSince(start) >= 0.3)
        #expect(r.stderr.contains("released"))
    }

    @Test(arguments: [
        "anon:0", "anon:16Q", "anon:16M,thp,hugetlb", "anon:16M,thp,nothp", "anon:16M,huge", "shm:a/b:4K",
        "file:/nonexistent/x", "bogus:4K", "anon:0xffffffffffffffff",
    ])
    func badRangesExit2WithOneLineNamingThem(_ range: String) throws {
        let r = try pinctl(["pin", "--for", "0", range])
        #expect(r.status == ExitStatus.invalidInput, "\(range): \(r.status) \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error"))
    }

    @Test func progressGoesToStderrOnATerminalForLongPins() throws {
        // script(1) gives pinctl a pseudo-terminal; 4 GiB takes over a second to fault in.
        let r = try run(["/usr/bin/script", "-qec", "\(builtBinary("pinctl")) pin --method populate --write --for 0 anon:4G", "/dev/null"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("pinning anon:4 GiB by populate:") && r.stdout.contains("%"))
        let plain = try pinctl(["pin", "--method", "populate", "--write", "--for", "0", "anon:4G"])
        #expect(!plain.stderr.contains("%"), "no progress when stderr is not a terminal")
    }

    @Test func signalWhilePinningReleasesEverythingAndExits130() throws {
        let (p, _, err) = try startPinctl(["pin", "--method", "mlock", "--write", "anon:8G"])
        usleep(400_000)
        let vmLckDuring = statusField(p.processIdentifier, "VmLck")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let e = String(decoding: err.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == ExitStatus.interrupted, "\(e)")
        #expect(e.contains("interrupted") && e.contains("released"))
        // mlock2 faults in and locks in one pass, 64 MiB at a time: stopped part way.
        #expect((vmLckDuring ?? 0) < 8 << 30, "the signal stopped the pass before all 8 GiB were locked")
    }

    @Test func uffdFillsTheRangeThroughTheCommandLine() throws {
        let (r, j) = try pinJSON(["--method", "uffd", "--fill", "0xab", "--verify", "anon:4M"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(j?["method"] as? String == "uffd")
        #expect(j?["residentPages"] as? Int == 1024)
        #expect(j?["pinnedPages"] as? Int == 0, "userfaultfd installs pages but does not pin them")
        #expect((j?["detail"] as? String)?.contains("UFFDIO_COPY") == true)
        let (z, zj) = try pinJSON(["--method", "uffd", "anon:4M"])
        #expect(z.status == 0, "\(z.stderr)")
        #expect(zj?["pfnRuns"] is NSNull, "a zero-page fill has no PFN runs of its own")
        #expect(zj?["residentPages"] as? Int == 1024)
        let missing = try pinctl(["pin", "--method", "uffd", "--fill-from", "/nonexistent/fill", "--for", "0", "anon:4M"])
        #expect(missing.status == ExitStatus.invalidInput && missing.stderr.contains("/nonexistent/fill"))
        let notUffd = try pinctl(["pin", "--method", "mlock", "--watch-writes", "anon:4M"])
        #expect(notUffd.status == ExitStatus.usage)
    }

    /// A --method outside its choices is a usage error, as a bad --for is (before: exit 2).
    @Test func unknownMethodAndBadDurationAreUsageErrors() throws {
        let m = try pinctl(["pin", "--method", "glue", "anon:4K"])
        #expect(m.status == ExitStatus.usage && m.stderr.contains("glue"))
        let d = try pinctl(["pin", "--for", "soon", "anon:4K"])
        #expect(d.status == ExitStatus.usage && d.stderr.contains("soon"))
    }
}

import Foundation
import PinctlRender
import Testing

/// `pinctl phys` against the running kernel and against tools/mm/page-types reading the
/// same frames. Frames change between two reads (the machine runs), so exact comparisons use
/// stable frames: the holder's mlocked pages, and low memory (firmware, reserved, the DMA
/// zone); whole-memory comparisons allow a documented drift.
@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct LivePhysTests {
    /// The JSON-lines records of a pinctl run.
    static func records(_ args: [String]) throws -> [[String: Any]] {
        let r = try pinctl(args)
        #expect(r.status == 0, "pinctl \(args): \(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func summary(_ recs: [[String: Any]]) -> [String: Any] {
        recs.last { $0["type"] as? String == "summary" }?["summary"] as? [String: Any] ?? [:]
    }

    /// The holder's mlocked pages: virtual page -> PFN, read from its pagemap independently.
    static func mlockedFrames(_ h: Holder) -> [UInt64: UInt64] {
        let (start, size) = h.region("mlock")
        let entries = RawProc.pagemap(h.pid, start, pages: Int(size / 4096))
        var out: [UInt64: UInt64] = [:]
        for (i, e) in entries.enumerated() where e & (1 << 63) != 0 {
            out[start + UInt64(i) * 4096] = e & ((1 << 55) - 1)
        }
        return out
    }

    /// `page-types -r -L -N -M -C -a FIRST,END`: PFN -> (cgroup, mapcount, raw kpageflags),
    /// page-types' flag string decoded by its column order and its overloaded bits moved back.
    static func pageTypesFrames(_ first: UInt64, _ end: UInt64, bits: [String] = []) throws -> [UInt64: (UInt64, UInt64, UInt64)] {
        var argv = [try PageTypes.binary(), "-r", "-L", "-N", "-M", "-C", "-a", "\(first),\(end)"]
        for b in bits { argv += ["-b", b] }
        let r = try run(argv)
        guard r.status == 0 else { throw PageTypes.Failure.pageTypes(r.stderr) }
        var out: [UInt64: (UInt64, UInt64, UInt64)] = [:]
        for line in r.stdout.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t")
            guard f.count == 4, let cg = UInt64(f[0].dropFirst()), let mc = UInt64(f[1]), let pfn = UInt64(f[2], radix: 16),
                f[3].count == PageTypes.columns.count
            else { throw PageTypes.Failure.pageTypes("unexpected line: \(line)") }
            var word: UInt64 = 0
            for (c, col) in zip(f[3], PageTypes.columns) where c != "_" { word |= 1 << UInt64(col.bit) }
            out[pfn] = (cg, mc, PageTypesFlags.unexpand(word))
        }
        return out
    }

    /// pinctl phys --json-lines: PFN -> (memcg, mapcount, kpageflags), from rows of runs
    /// (`perFrame`: --no-collapse). Runs keep the test process small: its RSS is inherited by
    /// the children other suites measure (exec after vfork counts the parent's high-water mark).
    static func pinctlFrames(_ target: String, _ extra: [String] = [], perFrame: Bool = true) throws -> [UInt64: (UInt64, UInt64, UInt64)] {
        var out: [UInt64: (UInt64, UInt64, UInt64)] = [:]
        for r in try records(["phys", "--json-lines", target] + (perFrame ? ["--no-collapse"] : []) + extra)
        where r["type"] as? String == "frame" {
            guard let pfn = (r["pfn"] as? NSNumber)?.uint64Value, let k = r["kpageflags"] as? String,
                let flags = UInt64(k.dropFirst(2), radix: 16), let n = (r["count"] as? NSNumber)?.uint64Value
            else { continue }
            for p in pfn..<(pfn + n) {
                out[p] = ((r["memcg"] as? NSNumber)?.uint64Value ?? .max, (r["mapcount"] as? NSNumber)?.uint64Value ?? .max, flags)
            }
        }
        return out
    }

    /// Every mlocked frame of the holder, read by page-types then pinctl, once: memcg,
    /// mapcount and kpageflags but the LRU-state bits (`StableFlags`: DAMON marks these
    /// pages `idle` as it samples them). Mlocked pages may still migrate (compaction moves
    /// them; only pins keep a frame), so the frames compared are those the holder maps both
    /// before and after the reads (its first 64 runs of contiguous PFNs); 2% may have moved.
    @Test func everyMlockedFrameMatchesPageTypes() throws {
        let h = try Holder(["mlock:4M"])
        defer { h.stop() }
        let before = Self.mlockedFrames(h)
        #expect(before.count == 1024)
        let pfns = before.values.sorted()
        var runs: [(UInt64, UInt64)] = []
        for p in pfns {
            if let last = runs.last, last.1 == p { runs[runs.count - 1].1 = p + 1 } else { runs.append((p, p + 1)) }
        }
        var read: [(pfn: UInt64, pinctl: (UInt64, UInt64, UInt64)?, pageTypes: (UInt64, UInt64, UInt64)?)] = []
        for (lo, hi) in runs.prefix(64) {
            let baseline = try Self.pageTypesFrames(lo, hi)
            let mine = try Self.pinctlFrames("\(hexString(lo))-\(hexString(hi))")
            #expect(mine.count == Int(hi - lo), "pinctl listed \(mine.count) of \(hi - lo) frames")
            for pfn in lo..<hi { read.append((pfn, mine[pfn], baseline[pfn])) }
        }
        let held = Set(Self.mlockedFrames(h).filter { before[$0.key] == $0.value }.values)
        let compared = read.filter { held.contains($0.pfn) }
        #expect(
            !compared.isEmpty && read.count - compared.count <= read.count / 50,
            "\(read.count - compared.count) of \(read.count) frames moved during the reads")
        var differences: [String] = []
        for (pfn, a, b) in compared {
            guard let a, let b else {
                differences.append("pfn \(hexString(pfn)) missing")
                continue
            }
            if a.0 != b.0 || a.1 != b.1 || StableFlags.stable(a.2) != StableFlags.stable(b.2) {
                differences.append("pfn \(hexString(pfn)): pinctl \(a) page-types \(b)")
            }
            if a.2 & (1 << 33) == 0 { differences.append("pfn \(hexString(pfn)) of the mlocked range is not mlocked") }
        }
        #expect(differences.isEmpty, "\(differences.prefix(10))")
    }

    /// Low memory (the first 16 MiB: firmware, reserved and DMA-zone frames) changes little;
    /// the test allows 1% of frames to change between the two reads.
    @Test func lowMemoryFramesMatchPageTypes() throws {
        let baseline = try Self.pageTypesFrames(0, 4096)
        let mine = try Self.pinctlFrames("0-4096")
        #expect(mine.count == 4096 && baseline.count == 4096)
        let differing = (0..<UInt64(4096)).filter { p in
            guard let a = mine[p], let b = baseline[p] else { return true }
            return a != b
        }
        #expect(differing.count <= 40, "\(differing.count) of 4096 frames differ: \(differing.prefix(10).map(hexString))")
    }

    /// page-types' default output is a table of flag combinations; pinctl's summary has the
    /// same, keyed by page-types -r's word. Compared on the first 64 MiB (drift under 1%) and,
    /// for the totals, on all memory.
    @Test func flagCombinationSummaryMatchesPageTypes() throws {
        func pageTypesSummary(_ args: [String]) throws -> [UInt64: UInt64] {
            let r = try run([try PageTypes.binary(), "-r"] + args)
            guard r.status == 0 else { throw PageTypes.Failure.pageTypes(r.stderr) }
            var out: [UInt64: UInt64] = [:]
            for line in r.stdout.split(separator: "\n") where line.hasPrefix("0x") {
                let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                guard let w = UInt64(f[0].dropFirst(2), radix: 16), let n = UInt64(f[1]) else { continue }
                out[w] = n
            }
            for line in r.stdout.split(separator: "\n") where line.contains("total") {
                let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                out[.max] = UInt64(f[1])
            }
            return out
        }
        func pinctlSummary(_ target: String) throws -> [UInt64: UInt64] {
            let s = Self.summary(try Self.records(["phys", "--json-lines", "--summary", target]))
            var out: [UInt64: UInt64] = [:]
            for c in s["combinations"] as? [[String: Any]] ?? [] {
                guard let w = c["pageTypesFlags"] as? String, let n = (c["pages"] as? NSNumber)?.uint64Value else { continue }
                out[UInt64(w.dropFirst(2), radix: 16)!] = n
            }
            out[.max] = (s["framesRead"] as? NSNumber)?.uint64Value
            return out
        }
        func drift(_ a: [UInt64: UInt64], _ b: [UInt64: UInt64]) -> UInt64 {
            Set(a.keys).union(b.keys).filter { $0 != .max }.reduce(0) { s, k in
                let x = a[k] ?? 0, y = b[k] ?? 0
                return s + (x > y ? x - y : y - x)
            }
        }
        let low = try pageTypesSummary(["-a", "0,16384"])
        let mine = try pinctlSummary("0-16384")
        #expect(mine[.max] == 16384 && low[.max] == 16384)
        #expect(drift(low, mine) <= 2 * 164, "combinations differ by \(drift(low, mine)) frames of 16384")
        // Every frame: the same total; the combinations move while memory is walked (on
        // this machine a few percent of frames change flags within seconds), so pinctl,
        // read between two page-types runs, must sit between them: its distance to each is
        // at most twice page-types' distance to itself, plus 5% of memory. The slack is for
        // a slower pinctl (a sanitizer build, a loaded host: CI once read 3.4% under ASan
        // beside a VM); a misread combination moves far more (free buddy pages alone are
        // most of memory). Exact agreement is checked above, on low memory, and on the
        // holder's frames (everyMlockedFrameMatchesPageTypes).
        let before = try pageTypesSummary([])
        let allMine = try pinctlSummary("all")
        let after = try pageTypesSummary([])
        #expect(before[.max] == allMine[.max], "page-types walked \(before[.max] ?? 0) frames, pinctl \(allMine[.max] ?? 0)")
        let total = before[.max] ?? 1
        let itself = drift(before, after)
        let mine2 = drift(before, allMine) + drift(allMine, after)
        print("phys all: page-types moved \(itself) frames between its runs; pinctl is \(mine2) from the two (of \(total))")
        #expect(mine2 <= 2 * itself + total / 20, "pinctl differs from page-types by \(mine2) frames, page-types from itself by \(itself)")
    }

    /// --flags selects what page-types -b selects: counted on low memory, where the frames
    /// hold still, and on the holder's mlocked frames.
    @Test func flagsSelectWhatPageTypesDashBSelects() throws {
        for expr in [
            ["buddy"], ["reserved"], ["=buddy"], ["lru,active"], ["~reserved"], ["slab", "~lru"], ["reserved,~buddy"], ["compound"], ["="],
        ] {
            let baseline = try Self.pageTypesFrames(0, 16384, bits: expr)
            let mine = try Self.pinctlFrames("0-16384", expr.flatMap { ["--flags", $0] }, perFrame: false)
            let diff = Set(baseline.keys).symmetricDifference(mine.keys)
            #expect(diff.count <= 164, "--flags \(expr): \(diff.count) frames differ (pinctl \(mine.count), page-types \(baseline.count))")
        }
        let h = try Holder(["mlock:2M"])
        defer { h.stop() }
        let pfns = Self.mlockedFrames(h).values.sorted()
        let lo = pfns.first!, hi = pfns.last! + 1
        for expr in [["mlocked"], ["mlocked,~lru"], ["mlocked,lru=mlocked"], ["anon", "unevictable"]] {
            let baseline = try Self.pageTypesFrames(lo, min(hi, lo + 65536), bits: expr)
            let mine = try Self.pinctlFrames(
                "\(hexString(lo))-\(hexString(min(hi, lo + 65536)))", expr.flatMap { ["--flags", $0] }, perFrame: false)
            let holderIn = pfns.filter { $0 < lo + 65536 }
            for p in holderIn {
                #expect(
                    (baseline[p] != nil) == (mine[p] != nil),
                    "--flags \(expr) pfn \(hexString(p)): page-types \(baseline[p] != nil), pinctl \(mine[p] != nil)")
            }
        }
    }

    /// inspect --flags lists the pages page-types -p PID -b lists, over a holder's anon,
    /// mlocked and THP regions.
    @Test func inspectFlagsListsThePagesPageTypesDashBLists() throws {
        let h = try Holder(["anon:1M", "mlock:1M", "thp:4M"])
        defer { h.stop() }
        for kind in ["anon", "mlock", "thp"] {
            let (start, size) = h.region(kind)
            for expr in [["mlocked"], ["anon,~mlocked"], ["thp"], ["compound_tail"], ["=anon"]] {
                let first = start / 4096
                var argv = [try PageTypes.binary(), "-p", "\(h.pid)", "-a", "\(first),\(first + size / 4096)", "-L", "-N", "-r"]
                for e in expr { argv += ["-b", e] }
                let r = try run(argv)
                try #require(r.status == 0, "page-types: \(r.stderr)")
                let want = Set(r.stdout.split(separator: "\n").dropFirst().compactMap { UInt64($0.split(separator: "\t")[0], radix: 16) })
                let mine = try Self.records(
                    ["inspect", "--json-lines", "\(h.pid)", "\(hexString(start))+\(size)"] + expr.flatMap { ["--flags", $0] })
                let got = Set(
                    mine.filter { $0["type"] as? String == "page" }.compactMap {
                        ($0["address"] as? String).flatMap { UInt64($0.dropFirst(2), radix: 16) }.map { $0 / 4096 }
                    })
                #expect(got == want, "\(kind) --flags \(expr): pinctl \(got.count) pages, page-types \(want.count)")
                if kind == "mlock" && expr == ["mlocked"] { #expect(want.count == 256, "page-types lists \(want.count) mlocked pages") }
                if kind == "thp" && expr == ["thp"] { #expect(want.count == 1024, "page-types lists \(want.count) thp pages") }
            }
        }
    }

    /// Before: phys --owners read comm as text, so a byte that is not UTF-8 showed as U+FFFD
    /// where census shows `\xff`; now both escape the comm's bytes (TerminalEscaping), and
    /// the JSON carries `commBytes` (hex) beside the lossy `comm`, as the census's does.
    @Test func ownersShowAHostileCommAsCensusDoes() throws {
        let h = try Holder(["hostilecomm:1", "mlock:64K"])
        defer { h.stop() }
        let pfns = Self.mlockedFrames(h).values
        let span = "\(hexString(pfns.min()!))-\(hexString(pfns.max()! + 1))"
        let text = try pinctl(["phys", "--owners", "--flags", "mlocked", span])
        #expect(text.status == 0, "\(text.stderr)")
        let row = text.stdout.split(separator: "\n").first { $0.hasPrefix("\(h.pid) ") }
        #expect(row?.contains("ev\\x1b[31m\\x07x\\xffcomm") == true, "\(row ?? "no row of pid \(h.pid)")")
        #expect(!text.stdout.contains("\u{fffd}") && !text.stdout.utf8.contains(0x1b))
        let census = try pinctl(["census"])
        #expect(census.stdout.contains("ev\\x1b[31m\\x07x\\xffcomm"), "census shows it another way: \(census.stdout)")
        let owner = try Self.records(["phys", "--json-lines", "--owners", "--flags", "mlocked", span]).first {
            $0["type"] as? String == "owner" && ($0["pid"] as? NSNumber)?.int32Value == h.pid
        }
        #expect(owner?["comm"] as? String == "ev\u{1b}[31m\u{07}x\u{fffd}comm")
        #expect(owner?["commBytes"] as? String == "65761b5b33316d0778ff636f6d6d")
    }

    @Test func ownersFindTheHolderAtItsAddressesAndNoOtherProcess() throws {
        let h = try Holder(["mlock:2M"])
        defer { h.stop() }
        let frames = Self.mlockedFrames(h)
        let byPFN = Dictionary(uniqueKeysWithValues: frames.map { ($0.value, $0.key) })
        let lo = byPFN.keys.min()!, hi = byPFN.keys.max()! + 1
        // mlocked frames of the span only, so the owners are few.
        let recs = try Self.records(["phys", "--json-lines", "--owners", "--flags", "mlocked", "\(hexString(lo))-\(hexString(hi))"])
        var found: [UInt64: [(Int32, UInt64)]] = [:]
        for r in recs where r["type"] as? String == "owner" {
            guard let pid = (r["pid"] as? NSNumber)?.int32Value, let a = r["address"] as? String,
                let va = UInt64(a.dropFirst(2), radix: 16), let pfn = (r["pfn"] as? NSNumber)?.uint64Value,
                let n = (r["count"] as? NSNumber)?.uint64Value
            else { continue }
            for i in 0..<n { found[pfn + i, default: []].append((pid, va + i * 4096)) }
        }
        for (pfn, va) in byPFN {
            let owners = found[pfn] ?? []
            #expect(
                owners.count == 1 && owners.first?.0 == h.pid && owners.first?.1 == va,
                "pfn \(hexString(pfn)): want pid \(h.pid) at \(hexString(va)), got \(owners.map { "\($0.0)@\(hexString($0.1))" })")
        }
        let totals = recs.last?["ownerTotals"] as? [String: Any]
        #expect((totals?["processesOwning"] as? NSNumber)?.intValue ?? 0 >= 1)
    }

    /// --owners holds a batch of owner runs, not a process's all: a process mapping 1 GiB
    /// with every other page written is 131,072 runs (a run each: no two neighbours). Before,
    /// they were collected whole before the first was printed (about 86 bytes each: 11 MiB
    /// here, 170 MiB for 16 GiB); now the same span costs at most 4 MiB more max RSS with them
    /// as without (--flags mlocked selects none of the holder's frames), and every run is
    /// printed. Measured by GNU time (see FilesTests' bounded-memory test).
    @Test(
        .enabled(if: !underSanitizer, "a sanitizer's shadow memory and quarantine are in the RSS: the bound is pinctl's own"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"),
            "GNU time measures max RSS: run scripts/check/install-deps.sh"))
    func ownersOfAScatteredProcessStreamInBoundedMemory() throws {
        let h = try Holder(["alternate:1G"])
        defer { h.stop() }
        let (start, size) = h.region("alternate")
        let pfns = RawProc.pagemap(h.pid, start, pages: Int(size / 4096)).filter { $0 >> 63 == 1 }.map { $0 & ((1 << 55) - 1) }
        let span = "\(hexString(pfns.min()!))-\(hexString(pfns.max()! + 1))"
        func measured(_ args: [String]) throws -> (maxRSS: UInt64, holderRuns: Int) {
            let r = try run(["/usr/bin/time", "-f", "maxrss %M", builtBinary("pinctl"), "phys", "--owners"] + args + [span], limit: 300)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            let rss = r.stderr.split(separator: "\n").last { $0.hasPrefix("maxrss ") }.flatMap { UInt64($0.dropFirst(7)) } ?? 0
            return (rss << 10, r.stdout.split(separator: "\n").filter { $0.hasPrefix("\(h.pid) ") }.count)
        }
        let without = try measured(["--flags", "mlocked"])
        let with = try measured([])
        #expect(without.holderRuns == 0)
        #expect(with.holderRuns >= pfns.count / 2, "\(with.holderRuns) rows of the holder for \(pfns.count) frames")
        #expect(
            with.maxRSS < without.maxRSS + (4 << 20),
            "max RSS \(with.maxRSS >> 10) KiB with \(with.holderRuns) runs of the holder, \(without.maxRSS >> 10) KiB without")
    }

    @Test func aBlockTargetReportsItsSysfsStateAndTheHolderFrame() throws {
        let h = try Holder(["mlock:64K"])
        defer { h.stop() }
        let pfn = Self.mlockedFrames(h).values.min()!
        let size = UInt64(
            try String(contentsOfFile: "/sys/devices/system/memory/block_size_bytes", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), radix: 16)!
        let block = pfn / (size / 4096)
        let recs = try Self.records(["phys", "--json-lines", "--flags", "mlocked", "block:\(block)"])
        let last = try #require(recs.last)
        let blocks = last["blocks"] as? [[String: Any]] ?? []
        let b = try #require(blocks.first?["block"] as? [String: Any])
        let state = try String(contentsOfFile: "/sys/devices/system/memory/memory\(block)/state", encoding: .utf8)
        #expect(b["state"] as? String == state.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((b["index"] as? NSNumber)?.uint64Value == block)
        let rows = recs.filter { $0["type"] as? String == "frame" }
        #expect(
            rows.contains { r in
                let p = (r["pfn"] as? NSNumber)?.uint64Value ?? 0, n = (r["count"] as? NSNumber)?.uint64Value ?? 0
                return p <= pfn && pfn < p + n && (r["holds"] as? [String])?.contains("mlocked") == true
            })
    }

    @Test func badInputIsOneLineAndItsExitStatus() throws {
        expectOneLineError(try pinctl(["phys", "0x10-0x5"]), status: 2, mentions: "0x10-0x5")
        expectOneLineError(try pinctl(["phys", "block:99999999"]), status: 2, mentions: "no memory block")
        expectOneLineError(try pinctl(["phys", "zone:Nowhere"]), status: 2, mentions: "no such zone")
        expectOneLineError(try pinctl(["phys", "0x7fffffffffff"]), status: 2, mentions: "past the last frame")
        expectOneLineError(try pinctl(["phys", "--flags", "mlocked,~lruu", "0x1000"]), status: 2, mentions: "'lruu' is not a page flag")
        expectOneLineError(try pinctl(["phys", "--cgroup", "/nonexistent/cg", "0x1000"]), status: 2, mentions: "/nonexistent/cg")
        expectOneLineError(try pinctl(["phys", "--cgroup", "/etc/passwd", "0x1000"]), status: 2, mentions: "not a directory")
        // A hierarchy without the memory controller: its root is inode 1 as every root is.
        let hierarchies: [String] = ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids"]
        if let other = hierarchies.first(where: {
            access($0, F_OK) == 0 && access("\($0)/memory.stat", F_OK) != 0 && access("\($0)/memory.current", F_OK) != 0
        }) {
            expectOneLineError(try pinctl(["phys", "--cgroup", other, "0x1000"]), status: 2, mentions: "not a memory cgroup")
        }
        let r = try pinctl(["phys", "--json", "zone:Nowhere"])
        #expect(r.status == 2 && r.stdout.contains("\"error\""))
        // Without root the report says why and exits 7.
        let n = try pinctl(["phys", "0x1000+4"], as: nobody)
        #expect(n.status == 7, "\(n.stderr)")
        #expect(n.stdout.contains("unavailable: /proc/kpageflags"))
    }

    @Test func cgroupFilterSelectsOnlyThatCgroupsFrames() throws {
        defer {
            let hwm = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?.split(separator: "\n").first {
                $0.hasPrefix("VmHWM")
            }
            print("LivePhysTests: test process \(hwm ?? "")")
        }
        // This test process's memory cgroup (v1's memory controller where it is mounted,
        // else v2's): the holder is its child, so its pages are charged there.
        let lines = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8).split(separator: "\n")
        let dir: String
        if let v1 = lines.first(where: { $0.split(separator: ":", maxSplits: 2).dropFirst().first == "memory" }) {
            dir = "/sys/fs/cgroup/memory" + v1.split(separator: ":", maxSplits: 2)[2]
        } else {
            dir = "/sys/fs/cgroup" + (try #require(lines.first { $0.hasPrefix("0::") })).dropFirst(3)
        }
        var st = stat()
        try #require(stat(dir, &st) == 0, "no memory cgroup directory \(dir)")
        let h = try Holder(["mlock:1M"])
        defer { h.stop() }
        let pfns = Self.mlockedFrames(h).values.sorted()
        let lo = pfns.first!, hi = min(pfns.last! + 1, lo + 65536)
        let mine = try Self.pinctlFrames("\(hexString(lo))-\(hexString(hi))", ["--cgroup", dir], perFrame: false)
        #expect(mine.values.allSatisfy { $0.0 == UInt64(st.st_ino) })
        for p in pfns where p < hi { #expect(mine[p] != nil, "holder frame \(hexString(p)) not in its cgroup's selection") }
        let other = try Self.pinctlFrames("\(hexString(lo))-\(hexString(hi))", ["--cgroup", "@1"], perFrame: false)
        for p in pfns where p < hi { #expect(other[p] == nil) }
        // A directory that is not a cgroup is refused.
        expectOneLineError(try pinctl(["phys", "--cgroup", "/tmp", "0x1000"]), status: 2, mentions: "not a cgroup directory")
    }
}

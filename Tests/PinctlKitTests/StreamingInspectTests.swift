import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// tools/mm/page-types (Linux 6.12), built by scripts/check/build-page-types.sh: the baseline
/// pinctl's rows are checked against, page by page.
enum PageTypes {
    static func binary() throws -> String {
        let dir = repoRoot.appendingPathComponent(".build-tools")
        let found = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.sorted().last { $0.hasPrefix("page-types-") }
        let path = found.map { dir.appendingPathComponent($0).appendingPathComponent("page-types").path }
        guard let path, FileManager.default.isExecutableFile(atPath: path) else {
            try Test.cancel("page-types is not built: run scripts/check/build-page-types.sh (it needs linux-source-6.12)")
        }
        return path
    }

    /// The bits of page-types' page_flag_names (6.12), in the order of its short flag string,
    /// with their long names. 47 and up are page-types' own: overloaded kernel bits
    /// (-r expands them) and pagemap bits.
    static let columns: [(bit: Int, name: String)] = [
        (0, "locked"), (1, "error"), (2, "referenced"), (3, "uptodate"), (4, "dirty"), (5, "lru"), (6, "active"),
        (7, "slab"), (8, "writeback"), (9, "reclaim"), (10, "buddy"), (11, "mmap"), (12, "anonymous"), (13, "swapcache"),
        (14, "swapbacked"), (15, "compound_head"), (16, "compound_tail"), (17, "huge"), (18, "unevictable"),
        (19, "hwpoison"), (20, "nopage"), (21, "ksm"), (22, "thp"), (23, "offline"), (24, "zero_page"), (25, "idle_page"),
        (26, "pgtable"), (32, "reserved"), (33, "mlocked"), (34, "owner_2"), (35, "private"), (36, "private_2"),
        (37, "owner_private"), (38, "arch"), (40, "softdirty"), (41, "arch_2"), (47, "anon_exclusive"),
        (48, "readahead"), (50, "slub_frozen"), (51, "slub_debug"), (61, "file"), (62, "swap"), (63, "mmap_exclusive"),
    ]

    struct Page: Equatable, CustomStringConvertible {
        var pfn: UInt64
        var mapcount: UInt64
        var cgroup: UInt64
        var flags: Set<String>
        var description: String { "pfn \(String(pfn, radix: 16)) mapcount \(mapcount) cgroup \(cgroup) \(flags.sorted())" }
    }

    /// `page-types -p PID -a FIRST,END -L -N -r -M -C`: virtual page -> what it listed
    /// (present pages only).
    static func list(pid: Int32, start: UInt64, pages: Int) throws -> [UInt64: Page] {
        let first = start / 4096
        let r = try run([try binary(), "-p", "\(pid)", "-a", "\(first),\(first + UInt64(pages))", "-L", "-N", "-r", "-M", "-C"])
        guard r.status == 0 else { throw Failure.pageTypes(r.stderr) }
        var out: [UInt64: Page] = [:]
        for line in r.stdout.split(separator: "\n").dropFirst() {
            // voffset, @cgroup, map-cnt, offset (PFN), flags
            let f = line.split(separator: "\t")
            guard f.count == 5, let va = UInt64(f[0], radix: 16), let cg = UInt64(f[1].dropFirst()), let mc = UInt64(f[2]),
                let pfn = UInt64(f[3], radix: 16), f[4].count == columns.count
            else { throw Failure.pageTypes("unexpected line: \(line)") }
            var names: Set<String> = []
            for (c, col) in zip(f[4], columns) where c != "_" { names.insert(col.name) }
            out[va] = Page(pfn: pfn, mapcount: mc, cgroup: cg, flags: names)
        }
        return out
    }

    /// What page-types -r prints for a page pinctl reported with these kpageflags names and
    /// pagemap bits: its names for anon and idle, PG_reclaim without writeback as readahead,
    /// and the pagemap bits as file, swap, mmap_exclusive and softdirty.
    static func expected(names: [String], fileOrShared: Bool, exclusive: Bool, softDirty: Bool, swapped: Bool) -> Set<String> {
        var s = Set(names.map { $0 == "anon" ? "anonymous" : $0 == "idle" ? "idle_page" : $0 })
        if s.contains("reclaim") && !s.contains("writeback") {
            s.remove("reclaim")
            s.insert("readahead")
        }
        if fileOrShared { s.insert("file") }
        if exclusive { s.insert("mmap_exclusive") }
        if softDirty { s.insert("softdirty") }
        if swapped { s.insert("swap") }
        return s
    }

    enum Failure: Error { case pageTypes(String) }
}

/// Streaming `inspect` rows (text, --json, --json-lines) as a user runs them.
@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct StreamingInspectTests {
    /// Per virtual page, from one of pinctl's three row formats.
    static func rowsFromJSON(_ pages: [[String: Any]]) -> [UInt64: PageTypes.Page] {
        var out: [UInt64: PageTypes.Page] = [:]
        for p in pages {
            guard let a = p["address"] as? String, let va = UInt64(a.dropFirst(2), radix: 16),
                let pfn = (p["pfn"] as? NSNumber)?.uint64Value
            else { continue }
            out[va / 4096] = PageTypes.Page(
                pfn: pfn, mapcount: (p["mapcount"] as? NSNumber)?.uint64Value ?? .max,
                cgroup: (p["memcg"] as? NSNumber)?.uint64Value ?? .max,
                flags: PageTypes.expected(
                    names: p["flags"] as? [String] ?? [], fileOrShared: p["fileOrShared"] as? Bool == true,
                    exclusive: p["exclusive"] as? Bool == true, softDirty: p["softDirty"] as? Bool == true,
                    swapped: p["swapped"] as? Bool == true))
        }
        return out
    }

    static func rowsFromText(_ text: String) -> [UInt64: PageTypes.Page] {
        var out: [UInt64: PageTypes.Page] = [:]
        var inRows = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("address ") {
                inRows = true
                continue
            }
            if line.hasPrefix("summary:") { break }
            guard inRows, let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]") else { continue }
            let f = line[..<open].split(separator: " ")
            guard f.count == 6, f[2] == "present", let va = UInt64(f[0].dropFirst(2), radix: 16),
                let pfn = UInt64(f[3].dropFirst(2), radix: 16)
            else { continue }
            let bits = line[line.index(after: open)..<close].split(separator: " ")
            let names =
                line[line.index(after: close)...].split(separator: " ").first.map { $0.split(separator: ",").map(String.init) } ?? []
            out[va / 4096] = PageTypes.Page(
                pfn: pfn, mapcount: UInt64(f[4]) ?? .max, cgroup: UInt64(f[5]) ?? .max,
                flags: PageTypes.expected(
                    names: names, fileOrShared: bits.contains("file/shared"), exclusive: bits.contains("excl"),
                    softDirty: bits.contains("soft-dirty"), swapped: false))
        }
        return out
    }

    /// The first differences between pinctl's rows and page-types' list, or none: two live
    /// reads, so the LRU-state flags are left out of both (`StableFlags`); the PFN, mapcount,
    /// memory cgroup and every other flag must match.
    static func differences(_ pinctl: [UInt64: PageTypes.Page], _ baseline: [UInt64: PageTypes.Page], pages: Int) -> [String] {
        func stable(_ p: PageTypes.Page) -> PageTypes.Page {
            var p = p
            p.flags = StableFlags.stable(p.flags)
            return p
        }
        var out: [String] = []
        if pinctl.count != baseline.count { out.append("pinctl has \(pinctl.count) present pages, page-types \(baseline.count)") }
        for (va, want) in baseline.sorted(by: { $0.key < $1.key }) where pinctl[va].map(stable) != stable(want) {
            out.append("page 0x\(String(va, radix: 16)): pinctl \(pinctl[va].map { "\($0)" } ?? "none") != page-types \(want)")
        }
        return out
    }

    /// `--no-collapse` rows in all three formats against page-types -L for anon, THP and
    /// file pages: PFN, flags (page-types' names), mapcount and memory cgroup, page by page,
    /// compared once without the LRU-state flags the kernel may change between the two runs
    /// (`StableFlags`).
    @Test func noCollapseRowsMatchPageTypesPageByPage() throws {
        _ = try PageTypes.binary()
        let path = "/tmp/pinctl-stream-file-\(getpid())"
        try writeSyncedFile(path, bytes: Data(repeating: 0x5a, count: 256 * 1024))
        defer { unlink(path) }
        let h = try Holder(["anon:256K", "thp:4M", "file:256K:\(path)"])
        defer { h.stop() }
        for kind in ["anon", "thp", "file"] {
            let r = h.region(kind)
            let pages = Int(r.size / 4096)
            let target = "\(hexString(r.start))+\(r.size / 1024)K"
            for format in ["--json", "--json-lines", "--pages"] {
                let out = try pinctl(["inspect", format, "--no-collapse", "\(h.pid)", target])
                #expect(out.status == 0, "\(kind) \(format): exit \(out.status): \(out.stderr)")
                let rows: [UInt64: PageTypes.Page]
                switch format {
                case "--json":
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
                    let list = try #require(json["pages"] as? [[String: Any]])
                    #expect(list.count == pages)
                    rows = Self.rowsFromJSON(list)
                case "--json-lines":
                    let records = try out.stdout.split(separator: "\n").map {
                        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
                    }
                    #expect(records.filter { $0["type"] as? String == "page" }.count == pages)
                    rows = Self.rowsFromJSON(records.filter { $0["type"] as? String == "page" })
                default:
                    rows = Self.rowsFromText(out.stdout)
                }
                let baseline = try PageTypes.list(pid: h.pid, start: r.start, pages: pages)
                #expect(baseline.count == pages, "\(kind): page-types listed \(baseline.count) of \(pages) pages")
                let differences = Self.differences(rows, baseline, pages: pages)
                #expect(differences.isEmpty, "\(kind) \(format): \(differences.prefix(4).joined(separator: "; "))")
            }
        }
    }

    /// A THP whose middle is mprotected read-only is PTE-mapped across three VMAs: three
    /// rows (128, 256 and 128 pages), each inside its VMA, never one row of 512.
    @Test func collapsedRowsNeverSpanVMAs() throws {
        let h = try Holder(["thpsplit:2M"])
        defer { h.stop() }
        let r = h.region("thpsplit")
        let head = RawProc.pagemap(h.pid, r.start, pages: 1)[0]
        try #require(head >> 63 == 1)
        let flags = KPageFlags(rawValue: RawProc.kpageflags(head & ((1 << 55) - 1)))
        try #require(flags.contains([.thp, .compoundHead]), "the kernel gave no THP here (flags \(flags))")
        let out = try pinctl(["inspect", "--json", "\(h.pid)", "\(hexString(r.start))+2M"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let vmas = try #require(json["vmas"] as? [[String: Any]])
        let rows = try #require(json["pages"] as? [[String: Any]])
        #expect(vmas.map { $0["perms"] as? String } == ["rw-p", "r--p", "rw-p"])
        #expect(rows.map { $0["count"] as? Int } == [128, 256, 128])
        #expect(rows.map { $0["address"] as? String } == vmas.map { $0["start"] as? String })
        #expect(rows.allSatisfy { $0["compound"] as? Bool == true })
        let text = try pinctl(["inspect", "--pages", "\(h.pid)", "\(hexString(r.start))+2M"])
        #expect(
            text.stdout.split(separator: "\n").filter { $0.hasPrefix("0x") }.map { $0.split(separator: " ")[1] } == ["128", "256", "128"])
    }

    /// Max RSS of the whole pinctl process (the child's ru_maxrss) stays under 64 MiB for
    /// 16 GiB of page tables (4Mi rows, one present page in 64), in every format: the rows
    /// stream; the old report held them all (9.6 GB for 16 GiB).
    @Test(.enabled(if: !underSanitizer, "a sanitizer's shadow memory and quarantine are in the RSS: the bound is pinctl's own"))
    func rowsOfA16GiBRangeStreamInBoundedMemory() throws {
        let h = try Holder(["sparse:16G"])
        defer { h.stop() }
        let r = h.region("sparse")
        for format in ["--json", "--json-lines", "--pages"] {
            let (status, maxRSS) = try Self.runMeasuringMaxRSS([
                builtBinary("pinctl"), "inspect", format, "--no-collapse", "\(h.pid)", "\(hexString(r.start))+16G",
            ])
            #expect(status == 0, "\(format): exit \(status)")
            #expect(maxRSS < 64 << 20, "\(format): max RSS \(maxRSS >> 20) MiB")
        }
    }

    /// `maps` of a process with 25,600 VMAs (25 MB of smaps text) streams a VMA at a time:
    /// max RSS under 32 MiB in text and JSON (before, the file and every VMA were held: 116 MB
    /// for text and 371 MB for JSON with 60,000 mappings), and every VMA is listed.
    @Test(.enabled(if: !underSanitizer, "a sanitizer's shadow memory and quarantine are in the RSS: the bound is pinctl's own"))
    func mapsOfManyThousandVMAsStreamInBoundedMemory() throws {
        let h = try Holder(["vmas:100M"])
        defer { h.stop() }
        // Read to the end: a /proc file's size reads as 0, so one read of it is not the file.
        let maps = try #require(FileHandle(forReadingAtPath: "/proc/\(h.pid)/maps"))
        let vmaCount = String(decoding: maps.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").count
        try maps.close()
        #expect(vmaCount > 25_600)
        for format in [[], ["--json"]] {
            let (status, maxRSS) = try Self.runMeasuringMaxRSS([builtBinary("pinctl"), "maps"] + format + ["\(h.pid)"])
            #expect(status == 0, "\(format): exit \(status)")
            #expect(maxRSS < 32 << 20, "\(format): max RSS \(maxRSS >> 20) MiB")
        }
        let text = try pinctl(["maps", "\(h.pid)"])
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").count == vmaCount + 2, "the process line, the header and a line per VMA")
        let r = try pinctl(["maps", "--json", "\(h.pid)"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let vmas = try #require(json["vmas"] as? [[String: Any]])
        #expect(vmas.count == vmaCount)
        let region = h.region("vmas")
        let ours = vmas.filter { v in
            guard let s = (v["start"] as? String).flatMap({ UInt64($0.dropFirst(2), radix: 16) }) else { return false }
            return s >= region.start && s < region.start + region.size
        }
        #expect(ours.count == 25_600)
        #expect(ours.map { $0["perms"] as? String }.prefix(4) == ["r--p", "rw-p", "r--p", "rw-p"])
    }

    /// `inspect` of 59,904 VMAs streams a VMA at a time: max RSS under 32 MiB without rows
    /// (smaps read as the pages are walked) and with them (--json: maps, then smaps after
    /// the walk), and every VMA is listed. Before, every VMA's report was held until the end:
    /// 115 MB for text and 124 MB for --json.
    @Test(.enabled(if: !underSanitizer, "a sanitizer's shadow memory and quarantine are in the RSS: the bound is pinctl's own"))
    func inspectOfSixtyThousandVMAsStreamsInBoundedMemory() throws {
        let h = try Holder(["vmas:234M"])
        defer { h.stop() }
        let region = h.region("vmas")
        let target = "\(hexString(region.start))+\(region.size)"
        for format in [[], ["--json"]] {
            let (status, maxRSS) = try Self.runMeasuringMaxRSS([builtBinary("pinctl"), "inspect"] + format + ["\(h.pid)", target])
            #expect(status == 0, "\(format): exit \(status)")
            #expect(maxRSS < 32 << 20, "\(format): max RSS \(maxRSS >> 20) MiB")
        }
        let text = try pinctl(["inspect", "\(h.pid)", target])
        #expect(text.status == 0)
        #expect(text.stdout.split(separator: "\n").filter { $0.hasPrefix("vma ") }.count == 59_904)
    }

    /// A target that exits after rows started: exit 3 and one line on stderr; --json stdout
    /// is still one JSON document, whose `pages` holds the rows written and which ends with
    /// `error` and `exitStatus` instead of `summary`; --json-lines ends with a
    /// `"type":"error"` record; text has the rows and no summary.
    @Test func targetExitingAfterRowsStartedEndsWithTheError() throws {
        for format in ["--json", "--json-lines", "--pages"] {
            let h = try Holder(["sparse:16G"])
            let r = h.region("sparse")
            let (p, out, err) = try startPinctl(["inspect", format, "--no-collapse", "\(h.pid)", "\(hexString(r.start))+16G"])
            // Rows are on stdout: the walk is under way. Then the target dies.
            let head = read(out) { $0.count >= 256 << 10 }
            kill(h.pid, SIGKILL)
            h.process.waitUntilExit()
            let rest = out.readDataToEndOfFile()
            let e = String(decoding: err.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            let stdout = String(decoding: head + rest, as: UTF8.self)
            #expect(p.terminationStatus == ExitStatus.processNotFound, "\(format): exit \(p.terminationStatus): \(e)")
            #expect(e.split(separator: "\n").count == 1 && e.contains("exited"), "\(format): \(e)")
            switch format {
            case "--json":
                let json = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
                #expect(json["summary"] == nil)
                #expect(json["exitStatus"] as? Int == 3)
                #expect((json["error"] as? String)?.contains("exited") == true)
                #expect(((json["pages"] as? [Any])?.count ?? 0) > 0)
            case "--json-lines":
                let lines = stdout.split(separator: "\n")
                let lastLine = try #require(lines.last)
                let last = try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
                #expect(last["type"] as? String == "error" && last["exitStatus"] as? Int == 3)
                #expect(lines.dropLast().allSatisfy { $0.hasPrefix("{\"type\":\"page\"") || $0.hasPrefix("{\"type\":\"vma\"") })
                #expect(!stdout.contains("\"type\":\"summary\""))
            default:
                #expect(stdout.contains("pages:\n") && !stdout.contains("summary:"))
            }
        }
    }

    /// --json-lines: page records, then vma records (smaps is read after the walk, so rows
    /// do not wait for its page-table walk), then one summary record; each line a JSON
    /// object; the same rows as --json.
    @Test func jsonLinesArePageThenVMAThenSummaryRecords() throws {
        // One region of 16 written pages: two regions mapped one after the other are not
        // always adjacent (the second can land in a hole elsewhere, and the span between them
        // then holds the holder's libraries: CI once counted their pages too).
        let h = try Holder(["anon:64K"])
        defer { h.stop() }
        let a = h.region("anon")
        let target = "\(hexString(a.start))-\(hexString(a.start + a.size))"
        let out = try pinctl(["inspect", "--json-lines", "\(h.pid)", target])
        #expect(out.status == 0, "\(out.stderr)")
        let records = try out.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let types = records.map { $0["type"] as? String ?? "?" }
        let firstVMA = try #require(types.firstIndex(of: "vma"))
        #expect(firstVMA >= 1 && types[..<firstVMA].allSatisfy { $0 == "page" })
        #expect(types.last == "summary" && types.dropLast().suffix(from: firstVMA).allSatisfy { $0 == "vma" })
        let firstPage = 0
        let vmaRecords = records.filter { $0["type"] as? String == "vma" }
        #expect(vmaRecords.allSatisfy { ($0["start"] as? String)?.hasPrefix("0x") == true && $0["smaps"] is [String: Any] })
        let summary = try #require(records.last)
        #expect(summary["pid"] as? Int == Int(h.pid))
        #expect(summary["present"] as? Int == 16, "summary \(summary), VMAs \(vmaRecords)")
        #expect(summary["flagCounts"] is [String: Any] && summary["notes"] is [String])
        let doc = try pinctl(["inspect", "--json", "\(h.pid)", target])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(doc.stdout.utf8)) as? [String: Any])
        let pages = try #require(json["pages"] as? [[String: Any]])
        #expect(pages.count == firstVMA)
        #expect((json["vmas"] as? [[String: Any]])?.count == vmaRecords.count)
        for (p, q) in zip(pages, records[firstPage..<firstVMA]) {
            #expect(p["address"] as? String == q["address"] as? String && p["count"] as? Int == q["count"] as? Int)
            #expect(p.keys.sorted() == q.keys.filter { $0 != "type" }.sorted())
        }
        // Errors before any output are one error record too.
        let gone = try pinctl(["inspect", "--json-lines", "\(Int32.max)", target])
        #expect(gone.status != 0)
        let err = try #require(try JSONSerialization.jsonObject(with: Data(gone.stdout.utf8)) as? [String: Any])
        #expect(err["type"] as? String == "error" && err["exitStatus"] as? Int == Int(gone.status))
        let both = try pinctl(["inspect", "--json", "--json-lines", "\(h.pid)", target])
        #expect(both.status == ExitStatus.usage)
    }

    /// posix_spawn with stdout to /dev/null, and wait4 for the child's rusage.
    /// The child's own max RSS. posix_spawn's vfork-and-exec charges the test process's RSS
    /// high-water mark to the child's ru_maxrss (exec records the old mm's), so with other
    /// suites running in this process the figure would be theirs: GNU time, a small process,
    /// forks the command and reports that grandchild's alone. Without it, the direct figure.
    static func runMeasuringMaxRSS(_ argv: [String]) throws -> (status: Int32, maxRSSBytes: Int) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/time") else { return try spawnMeasuringMaxRSS(argv) }
        let report = "/tmp/pinctl-maxrss-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(report) }
        let (status, _) = try spawnMeasuringMaxRSS(["/usr/bin/time", "-f", "%M", "-o", report] + argv)
        let last = try String(contentsOfFile: report, encoding: .utf8).split(separator: "\n").last
        return (status, (last.flatMap { Int($0) } ?? Int.max / 1024) * 1024)
    }

    static func spawnMeasuringMaxRSS(_ argv: [String]) throws -> (status: Int32, maxRSSBytes: Int) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cargs, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, usage.ru_maxrss * 1024)
    }
}

/// The hand-written JSON writer escapes as renderJSON (JSONEncoder + escapeJSON) does.
@Suite struct JSONWriterTests {
    static func written(_ body: (inout JSONWriter) throws(PinctlError) -> Void) throws -> String {
        var template = Array("/tmp/pinctl-jsonwriter-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        unlink(String(cString: template))
        defer { close(fd) }
        var w = JSONWriter(OutputBuffer(fd: fd, capacity: 8192))
        defer { w.out.deallocate() }
        try body(&w)
        try w.out.flush()
        let size = Int(lseek(fd, 0, SEEK_END))
        var bytes = [UInt8](repeating: 0, count: size)
        _ = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, size, 0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func stringsEscapeAsRenderJSONDoes() throws {
        let hostile = [
            "a\u{1b}b\u{7f}c\u{9b}d\u{202e}e✓", "quote\" back\\slash /", "\n\r\t\u{08}\u{0c}\u{00}\u{1f}",
            "日本 ✓ \u{FFFD} é", String(repeating: "x", count: 100_000) + "\u{2066}\u{85}\u{061c}\u{200e}\u{2028}",
            "evil\u{1b}[31mred\u{07}bell\nline\u{FFFD}.bin",
        ]
        for s in hostile {
            let mine = try Self.written { (w) throws(PinctlError) in
                try w.beginObject()
                try w.key("path")
                try w.string(s)
                try w.endObject()
            }
            #expect(mine == (try renderJSON(["path": s])))
            #expect(try JSONSerialization.jsonObject(with: Data(mine.utf8)) as? [String: String] == ["path": s])
            #expect(!mine.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) || $0.value == 0x202e })
        }
    }

    @Test func numbersAndHexAreFormattedInPlace() throws {
        let values: [UInt64] = [0, 1, 9, 10, 4095, 4096, 1 << 32, UInt64.max]
        let mine = try Self.written { (w) throws(PinctlError) in
            try w.beginArray()
            for v in values {
                try w.uint(v)
                try w.hexString(v)
            }
            try w.int(-42)
            try w.null()
            try w.endArray()
        }
        let want = "[" + values.map { "\($0),\"0x\(String($0, radix: 16))\"" }.joined(separator: ",") + ",-42,null]"
        #expect(mine == want)
    }
}

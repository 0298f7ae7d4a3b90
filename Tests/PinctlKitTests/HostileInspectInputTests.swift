import Foundation
import PinctlRender
import Testing

@testable import PinctlKernel

/// The command line, the inspect/maps rows and the output path every command
/// shares, as a table: the built binary against hostile input, as an adversarial user
/// would run it. Each case checks the exit status, exactly one stderr line naming the
/// input, and under --json an error object on stdout.
@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct HostileInspectInputTests {
    /// A text report's `summary:` line and the present pages it counts (0 without one).
    static func presentPages(_ stdout: String) -> (summary: Substring, present: Int) {
        let summary = stdout.split(separator: "\n").first { $0.hasPrefix("summary: ") } ?? ""
        let present = summary.split(separator: ":").dropFirst(2).first?.split(separator: " ").first.flatMap { Int($0) } ?? 0
        return (summary, present)
    }

    /// Under --json: stdout is one JSON object {"error", "exitStatus"} matching the exit
    /// status, and the same message is the stderr line.
    func expectJSONError(_ r: CommandResult, status: Int32, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status == status, "exit \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
        let json = try #require(object as? [String: Any], "stdout is not a JSON object: \(r.stdout)", sourceLocation: sourceLocation)
        let message = try #require(json["error"] as? String, sourceLocation: sourceLocation)
        #expect(json["exitStatus"] as? Int == Int(status), sourceLocation: sourceLocation)
        if status != ExitStatus.usage {
            #expect(r.stderr == "pinctl: " + TerminalEscaping.escape(message) + "\n", sourceLocation: sourceLocation)
        } else {
            #expect(r.stderr.contains(message), sourceLocation: sourceLocation)
        }
    }

    // MARK: row 13: only plain decimal pids

    @Test(arguments: [
        "1_0", "+10", " 10", "10 ", "010", "00", "0x10", "0", "1e3", "10\n", "\u{661}\u{660}", "99999999999999999999",
        "18446744073709551617", "4194305", "self\u{1b}[2J", "SELF", "",
    ])
    func pidThatIsNotPlainDecimalExits2NamingIt(_ text: String) throws {
        for args in [["inspect", text, "[stack]"], ["maps", text]] {
            let r = try pinctl(args)
            expectOneLineError(r, status: ExitStatus.invalidInput, mentions: "'\(TerminalEscaping.escape(text))'")
            #expect(r.stdout.isEmpty)
            try expectJSONError(try pinctl(args + ["--json"]), status: ExitStatus.invalidInput)
        }
    }

    /// Targets that are numbers gone wrong: refused as numbers, never read as another number
    /// or taken for a mapping name.
    @Test(arguments: [
        "1_000", "0x1_000", "1_0-0x2000", "0x1000+1_0K", "18446744073709551616", "0x10000000000000000", "0x", "0x-0x10",
        "0x10-", "0x2000-0x1000", "0x1000-0x1000", "0xfffffffffffff000+8K", "0x1000+-4K", "0x1000+0x", "0x1000+1e3",
        "0x0+16777216T",
    ])
    func numericTargetGoneWrongExits2NamingIt(_ target: String) throws {
        let r = try pinctl(["inspect", "self", "--", target])
        expectOneLineError(r, status: ExitStatus.invalidInput, mentions: "'\(target)'")
        try expectJSONError(try pinctl(["inspect", "--json", "self", "--", target]), status: ExitStatus.invalidInput)
    }

    @Test func plainDecimalPidIsThatProcess() throws {
        let h = try Holder(["anon:8K"])
        defer { h.stop() }
        let r = try pinctl(["maps", "--json", "\(h.pid)"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["pid"] as? Int == Int(h.pid))
        #expect(json["name"] as? String == "pinctl-test-hol")
    }

    // MARK: row 14: kernel threads and zombies have no address space

    /// A kernel thread's pid: PF_KTHREAD in /proc/PID/stat (pid 2, kthreadd, on most machines).
    static func kernelThreadPid() -> Int32? {
        for pid: Int32 in 2...400 {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { continue }
            if ProcessDirectory.state(ofStat: Array(text.utf8)) == .kernelThread { return pid }
        }
        return nil
    }

    @Test func kernelThreadHasNoAddressSpaceExit3() throws {
        let pid = try #require(Self.kernelThreadPid(), "no kernel thread visible in this pid namespace")
        for args in [["inspect", "\(pid)", "[stack]"], ["inspect", "\(pid)", "0x1000"], ["maps", "\(pid)"]] {
            let r = try pinctl(args)
            expectOneLineError(r, status: ExitStatus.processNotFound, mentions: "process \(pid) has no address space (kernel thread)")
            #expect(!r.stderr.contains("it has:"))
            try expectJSONError(try pinctl(args + ["--json"]), status: ExitStatus.processNotFound)
        }
    }

    @Test func zombieHasNoAddressSpaceExit3() throws {
        let h = try Holder(["zombie:1"])
        defer { h.stop() }
        let line = try #require(h.lines.first { $0.hasPrefix("zombie ") })
        let zombie = try #require(Int32(line.dropFirst(7)))
        // The child exits at once; wait until the kernel has made it a zombie.
        for _ in 0..<200
        where ProcessDirectory.state(ofStat: Array(((try? String(contentsOfFile: "/proc/\(zombie)/stat", encoding: .utf8)) ?? "").utf8))
            != .zombie
        {
            usleep(5000)
        }
        for args in [["inspect", "\(zombie)", "[stack]"], ["inspect", "\(zombie)", "0x0-0xffffffffffffffff"], ["maps", "\(zombie)"]] {
            let r = try pinctl(args)
            expectOneLineError(r, status: ExitStatus.processNotFound, mentions: "process \(zombie) has no address space (zombie)")
            try expectJSONError(try pinctl(args + ["--json"]), status: ExitStatus.processNotFound)
        }
    }

    // MARK: row 7: the vsyscall page, above user space

    /// Read to the end (Foundation's contentsOfFile stops early on /proc files).
    static let hasVsyscall: Bool = {
        guard let f = FileHandle(forReadingAtPath: "/proc/self/maps") else { return false }
        return String(decoding: f.readDataToEndOfFile(), as: UTF8.self).contains("[vsyscall]")
    }()

    @Test(
        .enabled(if: hasVsyscall, "this kernel maps no [vsyscall] page (vsyscall=none)"),
        arguments: [
            ["[vsyscall]"], ["0xffffffffff600000"], ["0xffffffffff600000+4K"], ["--no-scan", "[vsyscall]"], ["--pages", "[vsyscall]"],
        ])
    func vsyscallPageIsReportedAbsentExit0(_ args: [String]) throws {
        let r = try pinctl(["inspect"] + args.dropLast() + ["self", args.last!])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout.contains("ffffffffff600000-ffffffffff601000"))
        #expect(r.stdout.contains("summary: 1 pages (4 KiB): 0 present, 0 swapped, 1 not present"))
    }

    @Test(.enabled(if: hasVsyscall, "this kernel maps no [vsyscall] page (vsyscall=none)"), arguments: [[], ["--no-scan"]])
    func wholeProcessWalkIncludesVsyscallExit0(_ extra: [String]) throws {
        let h = try Holder(["anon:64K"])
        defer { h.stop() }
        let r = try pinctl(["inspect", "--json"] + extra + ["\(h.pid)", "0x0-0xffffffffffffffff"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let vmas = try #require(json["vmas"] as? [[String: Any]])
        #expect(vmas.last?["path"] as? String == "[vsyscall]")
        let pages = try #require(json["pages"] as? [[String: Any]])
        let vsyscall = try #require(pages.last)
        #expect(vsyscall["address"] as? String == "0xffffffffff600000")
        #expect(vsyscall["present"] as? Bool == false)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect((summary["present"] as? Int ?? 0) >= 16)
    }

    // MARK: row 8: control characters and bytes that are not UTF-8 in system strings

    /// The holder's hostile file name as pinctl must print it.
    static let hostileEscaped = "evil\\x1b[31mred\\x07bell\\x0aline\\xff.bin"

    @Test func hostileMappingPathIsEscapedInTextAndValidInJSON() throws {
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-hostile-XXXXXX"))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let h = try Holder(["hostile:64K:\(dir)"])
        defer { h.stop() }
        let start = hexString(h.region("hostile").start)
        for args in [["inspect", "\(h.pid)", start], ["inspect", "--pages", "\(h.pid)", start], ["maps", "\(h.pid)"]] {
            let r = try pinctl(args)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains(dir + "/" + Self.hostileEscaped), "\(r.stdout)")
            expectNoRawControls(r.stdout)
        }
        for args in [["inspect", "--json", "\(h.pid)", start], ["maps", "--json", "\(h.pid)"]] {
            let r = try pinctl(args)
            #expect(r.status == 0, "\(r.stderr)")
            expectNoRawControls(r.stdout)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let vmas = try #require(json["vmas"] as? [[String: Any]])
            let v = try #require(vmas.first { $0["start"] as? String == start })
            #expect(v["path"] as? String == dir + "/evil\u{1b}[31mred\u{07}bell\nline\u{FFFD}.bin")
            let bytes = Array((dir + "/evil\u{1b}[31mred\u{07}bell\nline").utf8) + [0xff] + Array(".bin".utf8)
            #expect(v["pathBytes"] as? String == bytes.map { String(format: "%02x", $0) }.joined())
        }
        // Echoed back in an error, the user's input is escaped too, and stays one line.
        let r = try pinctl(["inspect", "\(h.pid)", "evil\u{1b}[31mred\u{07}bell"])
        expectOneLineError(r, status: ExitStatus.notMapped, mentions: "'evil\\x1b[31mred\\x07bell'")
        try expectJSONError(try pinctl(["inspect", "--json", "\(h.pid)", "evil\u{1b}[31mred\u{07}bell"]), status: ExitStatus.notMapped)
    }

    /// A mapped file and a comm whose bytes are not UTF-8 read the same in every report that
    /// names them: text escapes the bytes (`\xff`, never U+FFFD), JSON has the lossy text
    /// and the exact bytes in hex (`pathBytes`, `commBytes`, `nameBytes`), OpenMetrics
    /// labels stay valid. Before, census's locked VMAs and devices, phys --owners' mappings,
    /// maps' process name and files' JSON lost the byte to U+FFFD or kept only an escape.
    @Test func nonUTF8PathAndCommKeepTheirBytesInEveryReport() throws {
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-hostile-XXXXXX"))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let h = try Holder(["hostile:64K:\(dir)", "mlocklast:1", "hostilecomm:1"])
        defer { h.stop() }
        let region = h.region("hostile")
        let start = hexString(region.start)
        let escaped = dir + "/" + Self.hostileEscaped
        let pathHex = (Array((dir + "/evil\u{1b}[31mred\u{07}bell\nline").utf8) + [0xff] + Array(".bin".utf8))
            .map { String(format: "%02x", $0) }.joined()
        let commEscaped = "ev\\x1b[31m\\x07x\\xffcomm"
        let commHex = "65761b5b33316d0778ff636f6d6d"
        let pfn = try #require(RawProc.pagemap(h.pid, region.start, pages: 1).first.map { $0 & ((1 << 55) - 1) })
        let frame = "\(hexString(pfn))-\(hexString(pfn + 1))"
        // Text: the escaped bytes, no U+FFFD, no raw control.
        for (args, shows) in [
            (["census"], [escaped, commEscaped]), (["inspect", "\(h.pid)", start], [escaped]),
            (["maps", "\(h.pid)"], [escaped, commEscaped]),
            (["phys", "--owners", frame], [escaped, commEscaped]), (["files", dir], [escaped]),
        ] {
            let r = try pinctl(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            for s in shows { #expect(r.stdout.contains(s), "\(args) lacks \(s): \(r.stdout)") }
            #expect(!r.stdout.contains("\u{fffd}"), "\(args): \(r.stdout)")
            expectNoRawControls(r.stdout)
        }
        func object(_ args: [String]) throws -> [String: Any] {
            let r = try pinctl(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        // JSON: the exact bytes beside the readable text.
        let rows = try #require(try object(["census", "--json"])["rows"] as? [[String: Any]])
        let row = try #require(rows.first { $0["pid"] as? Int == Int(h.pid) })
        #expect(row["commBytes"] as? String == commHex)
        let locked = (row["lockedVMAs"] as? [[String: Any]])?.first { $0["start"] as? Int == Int(region.start) }
        #expect(locked?["pathBytes"] as? String == pathHex, "\(row)")
        #expect((locked?["path"] as? String)?.hasSuffix("line\u{fffd}.bin") == true)
        let maps = try object(["maps", "--json", "\(h.pid)"])
        #expect(maps["nameBytes"] as? String == commHex)
        let vmas = try #require(try object(["inspect", "--json", "\(h.pid)", start])["vmas"] as? [[String: Any]])
        #expect(vmas.first?["pathBytes"] as? String == pathHex)
        let owners = try pinctl(["phys", "--json-lines", "--owners", frame]).stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let owner = owners.first { $0["type"] as? String == "owner" && $0["pid"] as? Int == Int(h.pid) }
        #expect(owner?["pathBytes"] as? String == pathHex && owner?["commBytes"] as? String == commHex, "\(owners)")
        let files = try #require(try object(["files", "--json", dir])["files"] as? [[String: Any]])
        #expect(files.first?["pathBytes"] as? String == pathHex, "\(files)")
        // OpenMetrics: the comm's bytes escaped into a valid label value.
        let metrics = try pinctl(["census", "--openmetrics"])
        #expect(metrics.stdout.contains("comm=\"\(commEscaped.replacingOccurrences(of: "\\", with: "\\\\"))\""))
        #expect(String(validating: Array(metrics.stdout.utf8), as: UTF8.self) != nil && !metrics.stdout.contains("\u{fffd}"))
    }

    /// maps appends " (deleted)" to an unlinked file's path, and a live file may be named so:
    /// the kernel's files (map_files, then the path in the process's root) tell them apart.
    /// A live `lib.bin (deleted)` is named by that name and is `deleted: false`; an unlinked
    /// `lib.bin` by its own name, `deleted: true`. Before, `lib.bin` matched both and the
    /// live file could not be named by its basename.
    @Test func liveFileNamedDeletedIsToldFromAnUnlinkedOne() throws {
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-hostile-XXXXXX"))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["lib.bin (deleted)", "lib.bin"] {
            #expect(FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(repeating: 7, count: 8192)))
        }
        let h = try Holder(["file:8K:\(dir)/lib.bin (deleted)", "filesparse:8K:\(dir)/lib.bin"])
        defer { h.stop() }
        #expect(unlink(dir + "/lib.bin") == 0)
        let live = hexString(h.region("file").start)
        let unlinked = hexString(h.region("filesparse").start)
        for (target, start, deleted) in [
            ("lib.bin", unlinked, true), (dir + "/lib.bin", unlinked, true),
            ("lib.bin (deleted)", live, false), (dir + "/lib.bin (deleted)", live, false),
        ] {
            for command in [["inspect", "--json", "\(h.pid)", target], ["maps", "--json", "\(h.pid)"]] {
                let r = try pinctl(command)
                #expect(r.status == 0, "\(command): \(r.stderr)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
                let vmas = (json["vmas"] as? [[String: Any]] ?? []).filter { ($0["path"] as? String)?.hasPrefix(dir) == true }
                if command[0] == "inspect" {
                    #expect(vmas.map { $0["start"] as? String } == [start], "\(target): \(vmas)")
                }
                let vma = vmas.first { $0["start"] as? String == start }
                #expect(vma?["path"] as? String == dir + "/lib.bin (deleted)" && vma?["deleted"] as? Bool == deleted, "\(vmas)")
            }
        }
    }

    @Test func controlCharactersInTargetsAndPidsAreEscapedInErrors() throws {
        for (args, named) in [
            (["inspect", "self", "0x\u{1b}]0;owned\u{07}"], "0x\\x1b]0;owned\\x07"),
            (["inspect", "self", "no\u{9b}such\u{202e}lib"], "no\\u{9b}such\\u{202e}lib"),
            (["maps", "1\r2"], "1\\x0d2"),
        ] {
            let r = try pinctl(args)
            #expect(r.status != 0)
            expectOneLineError(r, status: r.status, mentions: named)
        }
    }

    @Test func pinReportAndDryRunEscapeTheFileName() throws {
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-hostile-XXXXXX"))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/v\u{1b}[31mred\u{07}\u{9b}"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 1, count: 65536)))
        for args in [["pin", "--method", "populate", "--for", "0", "file:" + path], ["pin", "--dry-run", "file:" + path]] {
            let r = try pinctl(args)
            #expect(r.status == 0, "\(r.stderr)")
            expectNoRawControls(r.stdout)
            if args.contains("populate") { #expect(r.stdout.contains("v\\x1b[31mred\\x07\\u{9b}"), "\(r.stdout)") }
        }
    }

    // MARK: row 15: --json errors are JSON on stdout, for every subcommand with --json

    @Test func everyJSONCommandPrintsAnErrorObject() throws {
        let gone = try Holder(["anon:8K"])
        let gonePid = gone.pid
        kill(gonePid, SIGKILL)
        gone.process.waitUntilExit()
        let h = try Holder(["anon:8K"])
        defer { h.stop() }
        let cases: [([String], Int32, [String])] = [
            (["inspect", "--json", "abc", "[stack]"], ExitStatus.invalidInput, []),
            (["inspect", "--json", "self", "0x1000"], ExitStatus.notMapped, []),
            (["inspect", "--json", "self", "0x"], ExitStatus.invalidInput, []),
            (["inspect", "--json", "\(gonePid)", "[stack]"], ExitStatus.processNotFound, []),
            (["inspect", "--json", "\(h.pid)", "[stack]"], ExitStatus.permissionDenied, nobody),
            (["maps", "--json", "\(gonePid)"], ExitStatus.processNotFound, []),
            (["maps", "--json", "\(h.pid)"], ExitStatus.permissionDenied, nobody),
            (["pin", "--json", "anon:lots"], ExitStatus.invalidInput, []),
            (["module", "bench", "--json", "anon:lots"], ExitStatus.invalidInput, []),
        ]
        for (args, status, launcher) in cases {
            let r = try pinctl(args, as: launcher)
            try expectJSONError(r, status: status)
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }

    @Test(arguments: [
        ["inspect", "--json", "self"], ["maps", "--json", "--bogus", "self"], ["inspect", "self", "x", "--json", "--pages=3"],
    ])
    func usageErrorUnderJSONIsAnErrorObjectExit64(_ args: [String]) throws {
        try expectJSONError(try pinctl(args), status: ExitStatus.usage)
    }

    @Test func withoutJSONErrorsLeaveStdoutEmpty() throws {
        let r = try pinctl(["inspect", "self", "0x1000"])
        expectOneLineError(r, status: ExitStatus.notMapped, mentions: "0x1000")
        #expect(r.stdout.isEmpty)
        // "--json" after "--" is an argument, not the flag.
        let u = try pinctl(["inspect", "self", "--", "0x1000", "--json"])
        #expect(u.status == ExitStatus.usage)
        #expect(u.stdout.isEmpty)
    }

    // MARK: row 5: the target exits while it is inspected

    /// 1.2 times one inspection of a 128 MiB holder run as `launcher` (at least 1 ms): the
    /// window a target is struck in (killed, exec'd), so some runs finish and some are cut
    /// short.
    static func strikeWindowMicros(as launcher: [String] = []) throws -> Int {
        let probe = try Holder(["anon:128M"], launcher: launcher)
        defer { probe.stop() }
        var t0 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        _ = try pinctl(["inspect", "\(probe.pid)", "0x0-0xffffffffffffffff"], as: launcher)
        var t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t1)
        return max(1000, (Int(t1.tv_sec - t0.tv_sec) * 1_000_000 + Int(t1.tv_nsec - t0.tv_nsec) / 1000) * 6 / 5)
    }

    /// 200 inspections (and maps) of a process SIGKILLed at a random moment: every run
    /// either exits 3 or reports every VMA and page; none exits 0 with a part of them.
    /// 128 MiB of written pages make the walk, not pinctl's start-up, most of a run.
    @Test func targetExitingMidInspectNeverGivesAPartialReportExit0() throws {
        let runMicros = try Self.strikeWindowMicros()
        var outcomes: [String: Int] = [:]
        for i in 0..<200 {
            let h = try Holder(["anon:128M"])
            let maps = try #require(FileHandle(forReadingAtPath: "/proc/\(h.pid)/maps"))
            let vmaCount = String(decoding: maps.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").count
            try maps.close()
            // PAGEMAP_SCAN finding the populated regions, reading every entry, and maps.
            let kind = ["inspect", "inspect --no-scan", "maps"][i % 3]
            let args =
                kind == "maps"
                ? [builtBinary("pinctl"), "maps", "--json", "\(h.pid)"]
                : [builtBinary("pinctl")] + kind.split(separator: " ").map(String.init) + ["\(h.pid)", "0x0-0xffffffffffffffff"]
            let p = try RunningCommand(args)
            usleep(UInt32.random(in: 0...UInt32(runMicros)))
            kill(h.pid, SIGKILL)
            let r = p.finish()
            h.process.waitUntilExit()
            outcomes["\(kind) exit \(r.status)", default: 0] += 1
            if r.status == 0 {
                if kind != "maps" {
                    let vmaLines = r.stdout.split(separator: "\n").filter { $0.hasPrefix("vma ") }.count
                    #expect(vmaLines == vmaCount, "run \(i): exit 0 with \(vmaLines) of \(vmaCount) VMAs")
                    let region = h.region("anon")
                    #expect(r.stdout.contains("vma \(String(region.start, radix: 16))-"), "run \(i): the anon region is missing")
                    let (summary, present) = Self.presentPages(r.stdout)
                    #expect(present >= 32768, "run \(i): exit 0 with \(present) present pages: \(summary)")
                } else {
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
                    let vmas = try #require(json["vmas"] as? [[String: Any]])
                    #expect(vmas.count == vmaCount, "run \(i): maps exit 0 with \(vmas.count) of \(vmaCount) VMAs")
                }
            } else {
                #expect(r.status == ExitStatus.processNotFound, "run \(i): exit \(r.status): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "run \(i): \(r.stderr)")
                if kind == "maps" {
                    // Streamed VMAs or not: one document that says it failed.
                    let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                    #expect(json?["error"] is String && json?["exitStatus"] as? Int == 3, "run \(i): \(r.stdout.suffix(200))")
                    #expect(json?["summary"] == nil)
                }
            }
        }
        print(
            "target killed mid-inspect, 200 runs: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))"
        )
    }

    /// Files are opened relative to the /proc/PID directory opened first: once that process
    /// is reaped they are gone (exit 3), whatever process gets the pid next.
    @Test func filesOfAReapedProcessAreGoneThroughItsDirectory() throws {
        let h = try Holder(["anon:8K"])
        let directory = try ProcessDirectory(ProcessRef(pid: h.pid))
        #expect(try directory.readText("status").contains("pinctl-test-hol"))
        kill(h.pid, SIGKILL)
        h.process.waitUntilExit()
        #expect(directory.state() == .gone)
        #expect(throws: PinctlError.processNotFound(pid: h.pid)) { try directory.readText("status") }
        #expect(throws: PinctlError.processNotFound(pid: h.pid)) { try PagemapReader(directory: directory) }
    }

    /// A plain user's process that execs a setuid-root program (newgrp, which then runs a
    /// shell) at a random moment while the same user inspects it: a report printed is
    /// the old program's, whole (PFNs hidden: exit 6); otherwise exit 3 (replaced while
    /// read) or 4 (the setuid image is not readable). Never a mix, never exit 0 or 1.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/newgrp"), "no /usr/bin/newgrp to exec"))
    func targetExecingSetuidMidInspectNeverMixesTwoPrograms() throws {
        let runMicros = try Self.strikeWindowMicros(as: nobody)
        var outcomes: [String: Int] = [:]
        for i in 0..<100 {
            let delay = UInt32.random(in: 0...UInt32(runMicros))
            let h = try Holder(["anon:128M", "exec:\(delay):/usr/bin/newgrp"], launcher: nobody)
            defer { h.stop() }
            let r = try pinctl(["inspect", i % 2 == 0 ? "--no-scan" : "--pages", "\(h.pid)", "0x0-0xffffffffffffffff"], as: nobody)
            outcomes["exit \(r.status)", default: 0] += 1
            if r.status == ExitStatus.pfnHidden {
                let region = h.region("anon")
                #expect(r.stdout.contains("vma \(String(region.start, radix: 16))-"), "run \(i): a report of the new program")
                let (summary, present) = Self.presentPages(r.stdout)
                #expect(present >= 32768, "run \(i): exit 6 with \(present) present pages: \(summary)")
            } else {
                #expect(
                    [ExitStatus.processNotFound, ExitStatus.permissionDenied].contains(r.status), "run \(i): exit \(r.status): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "run \(i): \(r.stderr)")
            }
        }
        print(
            "target exec'ing newgrp mid-inspect, 100 runs: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))"
        )
    }
}

/// The escaping every text output and error message goes through.
@Suite struct TerminalEscapingTests {
    @Test(arguments: [
        ("plain /usr/lib/libc.so.6", "plain /usr/lib/libc.so.6"),
        ("\u{1b}[31mred", "\\x1b[31mred"),
        ("bell\u{07}", "bell\\x07"),
        ("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd"),
        ("nul\u{0}", "nul\\x00"),
        ("del\u{7f}", "del\\x7f"),
        ("csi\u{9b}2J", "csi\\u{9b}2J"),
        ("nel\u{85}", "nel\\u{85}"),
        ("back\\slash", "back\\\\slash"),
        ("rtl\u{202e}txt.exe", "rtl\\u{202e}txt.exe"),
        ("iso\u{2066}x\u{2069}", "iso\\u{2066}x\\u{2069}"),
        ("ls\u{2028}ps\u{2029}", "ls\\u{2028}ps\\u{2029}"),
        ("ünïcode ✓ 日本", "ünïcode ✓ 日本"),
    ])
    func controlCharactersAreEscapedAndTextIsKept(_ input: String, _ expected: String) {
        #expect(TerminalEscaping.escape(input) == expected)
        #expect(TerminalEscaping.escape(bytes: Array(input.utf8)) == expected)
    }

    @Test(
        arguments: [
            ([0x61, 0xff, 0x62], "a\\xffb"),
            ([0xc3], "\\xc3"),
            ([0xc3, 0x28], "\\xc3("),
            ([0xc0, 0xaf], "\\xc0\\xaf"),
            ([0xe0, 0x80, 0xaf], "\\xe0\\x80\\xaf"),
            ([0xed, 0xa0, 0x80], "\\xed\\xa0\\x80"),
            ([0xf4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"),
            ([0x80, 0xbf], "\\x80\\xbf"),
            ([0xf0, 0x9f, 0x98, 0x80], "\u{1F600}"),
            ([0xc2, 0x9b], "\\u{9b}"),
        ] as [([UInt8], String)])
    func bytesThatAreNotUTF8AreEscapedOneByOne(_ bytes: [UInt8], _ expected: String) {
        #expect(TerminalEscaping.escape(bytes: bytes) == expected)
    }

    @Test func escapedTextHasNoControlCharacterLeft() {
        var all = (0..<256).map { UInt8($0) }
        all += [0xc2, 0x9b, 0xe2, 0x80, 0xae]
        let out = TerminalEscaping.escape(bytes: all)
        #expect(out.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7f...0x9f).contains($0.value) && $0.value != 0x202e })
    }

    @Test func jsonKeepsItsDataAndEscapesC1AndBidiControls() throws {
        let value = ["path": "a\u{1b}b\u{7f}c\u{9b}d\u{202e}e✓"]
        let json = try renderJSON(value)
        #expect(json == #"{"path":"a\u001bb\u007fc\u009bd\u202ee✓"}"#)
        let back = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(back == value)
    }

    @Test func jsonEscapingLeavesOtherNonASCIIAlone() throws {
        let value = ["a": "日本 ✓ \u{FFFD} é", "b": String(repeating: "x", count: 100_000) + "\u{2066}\u{85}"]
        let json = try renderJSON(value)
        #expect(json.contains("日本 ✓ \u{FFFD} é"))
        #expect(json.hasSuffix(#"x\u2066\u0085"}"#))
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String] == value)
    }

    @Test func mapsPathsKeepTheirBytesAndNewlines() throws {
        var line = Array("7f00-7f01 r--s 00000000 fe:00 12 /tmp/evil\u{1b}\\012x".utf8)
        line += [0xff]
        let entries = try ProcSmaps.parse(bytes: line + [0x0a])
        let v = try #require(entries.first?.vma)
        #expect(v.path == "/tmp/evil\u{1b}\nx\u{FFFD}")
        #expect(v.rawPath == Array("/tmp/evil\u{1b}\nx".utf8) + [0xff])
        #expect(v.displayPath == "/tmp/evil\\x1b\\x0ax\\xff")
        let plain = try #require(ProcMaps.parseLine("7f00-7f01 r-xp 00000000 fe:00 12 /usr/lib/libc.so.6"))
        #expect(plain.rawPath == nil && plain.path == "/usr/lib/libc.so.6")
    }
}

/// Pids as the user types them, and the process states read from /proc/PID/stat.
@Suite struct ProcessInputTests {
    @Test(arguments: ["1_0", "+10", " 10", "010", "0x10", "0", "", "4194305", "99999999999999999999", "1.0", "١٠"])
    func pidsOtherThanPlainDecimalAreRejected(_ text: String) {
        #expect(throws: PinctlError.self) { try ProcessRef.parse(text) }
    }

    @Test func underscoresAreNotDigitSeparators() throws {
        #expect(NumberParsing.parseUInt64("1_0") == nil)
        #expect(NumberParsing.parseUInt64("0x7f_00") == nil)
        #expect(NumberParsing.parseSize("1_0M") == nil)
        #expect(throws: PinctlError.self) { try InspectTarget.parse("1_000") }
        #expect(try InspectTarget.parse("2_libfoo.so") == .mapping("2_libfoo.so"))
    }

    @Test func plainDecimalPidsUpToPidMaxLimitParse() throws {
        #expect(try ProcessRef.parse("10").pid == 10)
        #expect(try ProcessRef.parse("4194304").pid == 4_194_304)
        #expect(try ProcessRef.parse("self").isSelf)
    }

    @Test func statStateSeesZombiesAndKernelThreadsPastOddComms() {
        func stat(_ comm: String, _ state: String, flags: UInt64) -> [UInt8] {
            Array("42 (\(comm)) \(state) 1 42 42 0 -1 \(flags) 0 0 0 0 0 0\n".utf8)
        }
        #expect(ProcessDirectory.state(ofStat: stat("kthreadd", "S", flags: 0x208040)) == .kernelThread)
        #expect(ProcessDirectory.state(ofStat: stat("a) Z 1 (b", "S", flags: 0x400000)) == .live)
        #expect(ProcessDirectory.state(ofStat: stat("x", "Z", flags: 0x400004)) == .zombie)
        #expect(ProcessDirectory.state(ofStat: stat("x", "X", flags: 0)) == .zombie)
        #expect(ProcessDirectory.state(ofStat: stat("x", "R", flags: 0x400144)) == .exiting, "PF_EXITING, before it is a zombie")
        #expect(ProcessDirectory.state(ofStat: Array("garbage".utf8)) == .gone)
    }
}

/// Seeded random input for the parsers that read what users type and what /proc holds:
/// none may trap, and what they accept must hold together. A cheap, deterministic
/// companion of the libFuzzer targets (Tests/Fuzz), run with every test.
@Suite struct HostileParserInputTests {
    /// SplitMix64: the same inputs on every run, so a failure reproduces.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func bytes(from fragments: [[UInt8]], count: Int, _ g: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...count, using: &g) {
            if Int.random(in: 0..<8, using: &g) == 0 {
                out.append(UInt8.random(in: 0...255, using: &g))
            } else {
                out += fragments.randomElement(using: &g)!
            }
        }
        return out
    }

    static let procFragments: [[UInt8]] = [
        "7f00-7f01", "ffffffffff600000-ffffffffff601000", "0-0", "ffffffffffffffffffff-1", " ", "\t", "\n", "r-xp", "rw-s",
        "---", "00000000", "fe:00", "12", "18446744073709551616", "/usr/lib/libc.so.6", "[vsyscall]", " (deleted)", "\\012",
        "\\", "\u{1b}[31m", "-", ":", "Rss:", "VmFlags:", " rd wr lo", " 4 kB", " kB", "THPeligible:", "1",
    ].map { Array($0.utf8) }

    static let addresses: [UInt64] = [0, 0x1000, 0x2fff, 0x3000, 0x7fff_ffff_e000, 0xffff_ffff_ff60_0000, .max - 0xfff, .max]

    static func address(_ g: inout SeededGenerator) -> UInt64 {
        Bool.random(using: &g) ? addresses.randomElement(using: &g)! : UInt64.random(in: 0...UInt64.max, using: &g)
    }

    /// smaps-shaped text: headers and counter lines, then a few bytes changed or inserted.
    static func smapsText(_ g: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 1...4, using: &g) {
            let start = address(&g)
            let end = Bool.random(using: &g) ? start &+ UInt64.random(in: 0...0x10000, using: &g) : address(&g)
            let path = bytes(from: procFragments, count: 3, &g)
            out +=
                Array(
                    "\(String(start, radix: 16))-\(String(end, radix: 16)) \(["r-xp", "rw-s", "---p", "rwx"].randomElement(using: &g)!) \(String(address(&g), radix: 16)) fe:00 \(UInt64.random(in: 0...UInt64.max, using: &g)) "
                        .utf8) + path + [0x0a]
            for _ in 0..<Int.random(in: 0...3, using: &g) {
                out += Array(
                    "\(["Rss", "Pss", "Locked", "THPeligible", "KernelPageSize", "VmFlags"].randomElement(using: &g)!): \(UInt64.random(in: 0...UInt64.max, using: &g) >> UInt64.random(in: 0...63, using: &g)) \(["kB", "", "rd wr lo ??"].randomElement(using: &g)!)\n"
                        .utf8)
            }
        }
        for _ in 0..<Int.random(in: 0...2, using: &g) where !out.isEmpty {
            let i = Int.random(in: 0..<out.count, using: &g)
            if Bool.random(using: &g) {
                out[i] = UInt8.random(in: 0...255, using: &g)
            } else {
                out.insert(contentsOf: procFragments.randomElement(using: &g)!, at: i)
            }
        }
        return out
    }

    /// Target-shaped text: numbers near the VMAs and the edges of 64 bits, in every form,
    /// then sometimes a fragment inserted.
    static func targetText(_ g: inout SeededGenerator) -> String {
        let a = address(&g), b = address(&g)
        let size = ["1", "4K", "0x1000", "1T", "16777216T", "2MiB", "\(UInt64.random(in: 0...UInt64.max, using: &g))"].randomElement(
            using: &g)!
        var text = Array(
            [
                "0x\(String(a, radix: 16))", "\(a)", "0x\(String(a, radix: 16))-0x\(String(b, radix: 16))",
                "0x\(String(a, radix: 16))+\(size)", "\(a)-\(b)", "[stack]", "x", "[vsyscall]",
            ].randomElement(using: &g)!.utf8)
        if Int.random(in: 0..<4, using: &g) == 0 {
            text.insert(contentsOf: targetFragments.randomElement(using: &g)!, at: Int.random(in: 0...text.count, using: &g))
        }
        return String(decoding: text, as: UTF8.self)
    }

    @Test func smapsAndMapsParsersNeverTrapAndKeepStartBelowEnd() {
        var g = SeededGenerator(state: 8)
        var accepted = 0
        for _ in 0..<5000 {
            let text = Self.smapsText(&g)
            if let entries = try? ProcSmaps.parse(bytes: text) {
                if !entries.isEmpty { accepted += 1 }
                for e in entries {
                    #expect(e.vma.start <= e.vma.end)
                    #expect(!TerminalEscaping.escape(e.vma.displayPath).contains("\u{1b}"))
                }
            }
            if let vmas = try? ProcMaps.parse(String(decoding: text, as: UTF8.self)) {
                #expect(vmas.allSatisfy { $0.start <= $0.end })
            }
            _ = ProcessDirectory.state(ofStat: text)
        }
        print("smaps parser: \(accepted) of 5000 random inputs accepted with VMAs")
        #expect(accepted > 50, "the generator no longer reaches the parser's accepting paths")
    }

    static let targetFragments: [[UInt8]] = [
        "0x", "0X", "f", "ff", "ffffffffffffffff", "1", "0", "9", "-", "+", "K", "M", "G", "T", "iB", "B", "_", " ",
        "18446744073709551616", "[", "]", "stack", "libc.so.6", "\u{1b}", ".",
    ].map { Array($0.utf8) }

    @Test func targetsParseAndResolveWithoutTrapOrWrap() throws {
        var g = SeededGenerator(state: 13)
        let vmas = [
            VMA(start: 0x1000, end: 0x3000, perms: "r--p", offset: 0, dev: "00:00", inode: 0, path: "/bin/x"),
            VMA(start: 0x7fff_ffff_e000, end: 0x7fff_ffff_f000, perms: "rw-p", offset: 0, dev: "00:00", inode: 0, path: "[stack]"),
            VMA(
                start: 0xffff_ffff_ff60_0000, end: 0xffff_ffff_ff60_1000, perms: "--xp", offset: 0, dev: "00:00", inode: 0,
                path: "[vsyscall]"),
        ]
        var resolved = 0
        for _ in 0..<5000 {
            let text = Self.targetText(&g)
            _ = NumberParsing.parseSize(Substring(text))
            _ = try? ProcessRef.parse(text)
            guard let target = try? InspectTarget.parse(text) else { continue }
            if case .range(let s, let e) = target { #expect(s < e, "\(text.debugDescription)") }
            guard let segments = try? TargetResolver.segments(for: target, in: vmas, process: .current) else { continue }
            resolved += 1
            for s in segments {
                #expect(s.start < s.end && s.start >= vmas[s.vmaIndex].start && s.end <= vmas[s.vmaIndex].end, "\(text.debugDescription)")
            }
        }
        print("targets: \(resolved) of 5000 random inputs resolved to segments")
        #expect(resolved > 50, "the generator no longer reaches the resolver")
    }

    @Test func escapingRandomBytesLeavesNoControlCharacter() {
        var g = SeededGenerator(state: 21)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...32, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            let out = TerminalEscaping.escape(bytes: bytes)
            #expect(out.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7f...0x9f).contains($0.value) })
        }
    }
}

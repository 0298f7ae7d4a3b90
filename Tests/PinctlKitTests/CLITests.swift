import Foundation
import PinctlRender
import Testing

/// The pinctl binary as a user runs it: JSON contract, exit statuses, one-line errors.
@Suite(
    .serialized, .needsRootForProc,
    .needsBuiltBinaries)
struct CLITests {
    /// Before: a width under the parser's help layout (label column 26 + 2) trapped a debug
    /// build with SIGILL (exit 132) and printed the help blank in a release build, whether
    /// it came from COLUMNS or a narrow terminal; now every command's help and usage error
    /// are laid out to 40 columns at least. Rows: COLUMNS values, then a 10-column pty.
    @Test(arguments: ["0", "-1", "1", "20", "26", "abc", "pty:10"])
    func narrowWidthsStillPrintHelp(_ width: String) throws {
        let script = "/usr/bin/script"
        if width.hasPrefix("pty:") && !FileManager.default.isExecutableFile(atPath: script) { return }
        for words in [[], ["inspect"], ["pin"], ["module", "load"], ["census"], ["phys"]] {
            for last in ["--help", "--bogus"] {
                let argv = [builtBinary("pinctl")] + words + [last]
                let r: CommandResult
                if width.hasPrefix("pty:") {
                    // script(1) gives the command a terminal of that width (its output comes
                    // back merged on stdout). No backtracer: on a terminal it waits 30 s.
                    r = try run(
                        [
                            "/usr/bin/env", "-u", "COLUMNS", script, "-qec",
                            "stty cols \(width.dropFirst(4)); " + argv.joined(separator: " "), "/dev/null",
                        ],
                        environment: ["SWIFT_BACKTRACE": "enable=no"])
                } else {
                    r = try run(argv, environment: ["COLUMNS": width, "SWIFT_BACKTRACE": "enable=no"])
                }
                let out = r.stdout + r.stderr
                #expect(r.status == (last == "--help" ? 0 : ExitStatus.usage), "\(width) \(words) \(last): exit \(r.status)")
                #expect(out.contains(last == "--help" ? "USAGE: pinctl" : "Usage: pinctl"), "\(width) \(words) \(last): \(out.prefix(300))")
            }
        }
    }

    @Test func helpWidthIsRaisedOnlyWhenTooNarrow() {
        #expect(HelpWidth.override(columns: "20", terminalWidth: { 200 }) == "40")
        #expect(HelpWidth.override(columns: "-5", terminalWidth: { nil }) == "40")
        #expect(HelpWidth.override(columns: "80", terminalWidth: { 10 }) == nil)
        #expect(HelpWidth.override(columns: nil, terminalWidth: { 10 }) == "40")
        #expect(HelpWidth.override(columns: "x", terminalWidth: { 39 }) == "40")
        #expect(HelpWidth.override(columns: "x", terminalWidth: { nil }) == nil)
        #expect(HelpWidth.override(columns: nil, terminalWidth: { 120 }) == nil)
    }

    @Test func jsonReportKeepsTheContract() throws {
        let h = try Holder(["anon:64K"])
        defer { h.stop() }
        let r = h.region("anon")
        let out = try pinctl(["inspect", "--json", "\(h.pid)", "\(hexString(r.start))+64K"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["pid"] as? Int == Int(h.pid))
        let vmas = try #require(json["vmas"] as? [[String: Any]])
        #expect(!vmas.isEmpty)
        for v in vmas {
            #expect((v["start"] as? String)?.hasPrefix("0x") == true)
            #expect((v["end"] as? String)?.hasPrefix("0x") == true)
            #expect((v["perms"] as? String)?.count == 4)
            #expect(v["path"] is String)
        }
        let pages = try #require(json["pages"] as? [[String: Any]])
        #expect(pages.count == 16)
        let raw = RawProc.pagemap(h.pid, r.start, pages: 16)
        for (i, p) in pages.enumerated() {
            #expect(p["address"] as? String == hexString(r.start + UInt64(i) * 4096))
            #expect(p["present"] as? Bool == true)
            #expect(p["swapped"] as? Bool == false)
            #expect((p["pfn"] as? NSNumber)?.uint64Value == raw[i] & ((1 << 55) - 1))
            let flags = try #require(p["flags"] as? [String])
            #expect(flags.contains("anon") && flags.allSatisfy { $0 == $0.lowercased() })
            #expect(p["mapcount"] as? Int == 1)
        }
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["present"] as? Int == 16)
    }

    @Test func absentPagesHaveNullPFNInJSON() throws {
        let h = try Holder(["untouched:16K"])
        defer { h.stop() }
        let out = try pinctl(["inspect", "--json", "--no-collapse", "\(h.pid)", "\(hexString(h.region("untouched").start))+16K"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let pages = try #require(json["pages"] as? [[String: Any]])
        #expect(pages.count == 4)
        #expect(pages.allSatisfy { $0["pfn"] is NSNull && $0["present"] as? Bool == false })
    }

    @Test func unmappedAddressNamesTheNearestVMAsAndExits5() throws {
        let h = try Holder(["anon:8K"])
        defer { h.stop() }
        let r = try pinctl(["inspect", "\(h.pid)", "0x1000"])
        expectOneLineError(r, status: ExitStatus.notMapped, mentions: "nearest VMAs")
        let m = try pinctl(["inspect", "\(h.pid)", "no-such-lib.so"])
        expectOneLineError(m, status: ExitStatus.notMapped, mentions: "no-such-lib.so")
    }

    @Test func goneProcessExits3() throws {
        let h = try Holder(["anon:8K"])
        let pid = h.pid
        kill(pid, SIGKILL)
        h.process.waitUntilExit()
        let r = try pinctl(["inspect", "\(pid)", "[stack]"])
        expectOneLineError(r, status: ExitStatus.processNotFound, mentions: "\(pid)")
    }

    @Test func ptraceDeniedExits4() throws {
        let h = try Holder(["anon:8K"])
        defer { h.stop() }
        let r = try pinctl(["inspect", "\(h.pid)", hexString(h.region("anon").start)], as: nobody)
        expectOneLineError(r, status: ExitStatus.permissionDenied, mentions: "ptrace")
    }

    @Test func withoutCapSysAdminPFNsAreMarkedHiddenAndExit6() throws {
        let dropSysAdmin = ["/usr/bin/setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"]
        let r = try pinctl(["inspect", "--json", "self", "[stack]"], as: dropSysAdmin)
        #expect(r.status == ExitStatus.pfnHidden, "\(r.stderr)")
        #expect(r.stderr.contains("CAP_SYS_ADMIN"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["pfnHidden"] as? Bool == true)
        let pages = try #require(json["pages"] as? [[String: Any]])
        let present = pages.filter { $0["present"] as? Bool == true }
        #expect(!present.isEmpty)
        #expect(present.allSatisfy { $0["pfn"] is NSNull })
    }

    @Test func unreadableKPageFlagsAreMarkedAndExit7() throws {
        // CAP_SYS_ADMIN (so PFNs show) but not root (so the 0400 kpageflags is unreadable).
        let sysAdminNobody = nobody + ["--inh-caps=+sys_admin", "--ambient-caps=+sys_admin"]
        let r = try pinctl(["inspect", "--json", "self", "[stack]"], as: sysAdminNobody)
        #expect(r.status == ExitStatus.pageFlagsUnavailable, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let unavailable = try #require(json["pageTablesUnavailable"] as? [String])
        #expect(unavailable.contains { $0.contains("/proc/kpageflags") && $0.contains("EACCES") })
        let pages = try #require(json["pages"] as? [[String: Any]])
        #expect(pages.contains { $0["present"] as? Bool == true && $0["pfn"] is NSNumber })
    }

    @Test(arguments: [
        (["inspect", "self", "0xzz"], "0xzz"),
        (["inspect", "self", "0x2000-0x1000"], "0x2000-0x1000"),
        (["inspect", "self", "0x1000+99999999999999999999"], "99999999999999999999"),
        (["inspect", "abc", "[stack]"], "abc"),
        (["maps", "-4"], "-4"),
    ])
    func badInputExits2WithOneLineNamingIt(_ args: [String], _ named: String) throws {
        let r = try pinctl(args)
        if args.contains("-4") {
            // ArgumentParser reads -4 as an unknown option: a usage error.
            #expect(r.status == ExitStatus.usage)
        } else {
            expectOneLineError(r, status: ExitStatus.invalidInput, mentions: named)
        }
    }

    @Test func mapsReportsVmLckVmPinAndLockedVMAs() throws {
        let h = try Holder(["mlock:64K"])
        defer { h.stop() }
        let r = try pinctl(["maps", "--json", "\(h.pid)"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["vmLck"] as? Int == 65536)
        #expect(json["vmPin"] as? Int == 0)
        let vmas = try #require(json["vmas"] as? [[String: Any]])
        let locked = vmas.first { $0["start"] as? String == hexString(h.region("mlock").start) }
        #expect((locked?["vmFlags"] as? [String])?.contains("lo") == true)
        let text = try pinctl(["maps", "\(h.pid)"])
        #expect(text.stdout.contains("VmLck 64 KiB"))
    }

    @Test func textRangeReportPrintsSummaryFirstAndPagesOnRequest() throws {
        let h = try Holder(["thp:4M"])
        defer { h.stop() }
        let target = "\(hexString(h.region("thp").start))+4M"
        let plain = try pinctl(["inspect", "\(h.pid)", target])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("summary: 1024 pages"))
        #expect(!plain.stdout.contains("pages:\n"))
        let rows = try pinctl(["inspect", "--pages", "\(h.pid)", target])
        #expect(rows.stdout.contains("pages:\n"))
        #expect(rows.stdout.contains(" 512 "))
    }
}

import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `pinctl census` from the command line: formats, --output, --watch.
@Suite(
    .serialized, .enabled(if: isRoot, "the census reads every process's fds and smaps: it needs root"),
    .needsBuiltPinctl)
struct CensusCLITests {
    @Test(.enabled(if: promtool != nil, "promtool is missing: scripts/check/install-deps.sh installs Debian's prometheus package"))
    func openMetricsOutputPassesPromtool() throws {
        // A row of every kind the host can make: io_uring, mlock, a hostile comm.
        let pin = try PinHolder(["--method", "iouring", "--for", "60s", "anon:4M,nothp"])
        defer { pin.stop() }
        let h = try Holder(["hostilecomm:1", "mlock:64K"])
        defer { h.stop() }
        let dir = try tempDir("census")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/pinctl.prom"
        let r = try pinctl(["census", "--openmetrics", "--output", file])
        #expect(r.status == 0 && r.stdout.isEmpty)
        let metrics = try String(contentsOfFile: file, encoding: .utf8)
        // No addresses in it, and the textfile collector reads it as another user.
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o644)
        #expect(metrics.contains("pinctl_process_io_uring_registered_bytes{pid=\"\(pin.pid)\""))
        #expect(metrics.contains("pinctl_process_locked_bytes{pid=\"\(h.pid)\""))
        let check = try run([promtool!, "check", "metrics"], stdinFile: file)
        #expect(check.status == 0, "promtool: \(check.stdout) \(check.stderr)")
        // Lint findings (other than the counters' own) would print; none expected.
        #expect(check.stdout.isEmpty && check.stderr.isEmpty, "promtool: \(check.stdout) \(check.stderr)")
    }

    @Test func outputReplacesTheFileAtomicallyAndLeavesNoTemporary() throws {
        let dir = try tempDir("census")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/pinctl.prom"
        let victim = dir + "/victim"
        try "keep".write(toFile: victim, atomically: false, encoding: .utf8)
        try "old".write(toFile: file, atomically: false, encoding: .utf8)
        let r = try pinctl(["census", "--json", "--output", file])
        #expect(r.status == 0)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep")
        let attrs = try FileManager.default.attributesOfItem(atPath: file)
        #expect(attrs[.type] as? FileAttributeType == .typeRegular)
        // JSON names other processes' addresses and paths: the owner's only.
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) is [String: Any])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["pinctl.prom", "victim"])
    }

    /// Before: a symlink at the target was replaced by the rename; `--output /dev/stdout`
    /// replaced the system's /dev/stdout link with a regular file (exit 0, nothing on
    /// stdout). Now a link is refused, and stays a link to what it named.
    @Test(arguments: ["/proc/self/fd/1", "victim"])
    func outputNamingASymlinkIsRefusedAndTheLinkKept(_ destination: String) throws {
        let dir = try tempDir("census")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let link = dir + "/stdout"
        try "keep".write(toFile: dir + "/victim", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: destination)
        let r = try pinctl(["census", "--openmetrics", "--output", link])
        #expect(r.status == ExitStatus.invalidInput && r.stdout.isEmpty, "exit \(r.status)")
        #expect(r.stderr.contains("is a symbolic link") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == destination)
        #expect(try String(contentsOfFile: dir + "/victim", encoding: .utf8) == "keep")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["stdout", "victim"])
    }

    /// A file name longer than 255 bytes is refused before the census is taken, not by the
    /// rename after it, and no temporary is left.
    @Test func anOutputNameTooLongForAFileIsRefusedBeforeTheCensus() throws {
        let dir = try tempDir("census-long")
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let r = try pinctl(["census", "--output", dir + "/" + String(repeating: "n", count: 256)])
        expectOneLineError(r, status: ExitStatus.invalidInput, mentions: "256 bytes")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(!r.stderr.contains("rename") && left.isEmpty, "\(left)")
    }

    @Test func outputIntoAMissingDirectoryIsRefusedWithTheFix() throws {
        let r = try pinctl(["census", "--output", "/nonexistent-pinctl-dir/x.prom"])
        #expect(r.status == ExitStatus.invalidInput)
        #expect(r.stderr.contains("does not exist"))
    }

    @Test func watchRefusesAPipeWithoutACount() throws {
        let r = try pinctl(["census", "--watch", "1s"])
        #expect(r.status == ExitStatus.invalidInput)
        #expect(r.stderr.contains("--count"))
    }

    @Test func watchWithACountPrintsThatManyCensusesWithRates() throws {
        let r = try pinctl(["census", "--watch", "100ms", "--count", "3"])
        #expect(r.status == 0)
        #expect(r.stdout.components(separatedBy: "census  kernel").count - 1 == 3)
        // Rates from the second census on.
        #expect(r.stdout.components(separatedBy: "unpin ").count - 1 == 2)
        #expect(!r.stdout.contains("\u{1b}["))
    }

    @Test func watchEndsCleanlyOnSIGINT() throws {
        let (p, out, _) = try startPinctl(["census", "--watch", "200ms", "--count", "1000"])
        _ = read(out) { String(decoding: $0, as: UTF8.self).contains("census  kernel") }
        kill(p.processIdentifier, SIGINT)
        _ = out.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
    }

    @Test func usageErrorsExit64() throws {
        for args in [
            ["--json", "--openmetrics"], ["--count", "2"], ["--watch", "0"], ["--watch", "soon"], ["--watch", "1s", "--json"],
            ["--watch", "1s", "--count", "0"],
        ] {
            let r = try pinctl(["census"] + args)
            #expect(r.status == ExitStatus.usage, "\(args): \(r.status) \(r.stderr)")
        }
    }

    @Test func flagsWithoutDeepIsAUsageErrorNamingDeep() throws {
        let r = try pinctl(["census", "--flags", "anon"])
        #expect(r.status == ExitStatus.usage)
        #expect(r.stderr.split(separator: "\n").first?.contains("add --deep") == true, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func deepFlagsWithoutKpageflagsIsOneLineAndExit4() throws {
        let r = try run(nobody + [builtBinary("pinctl"), "census", "--deep", "--flags", "anon"])
        #expect(r.status == ExitStatus.permissionDenied, "\(r.status) \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("/proc/kpageflags") && lines[0].contains("root"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func deepFlagsNamingNoFlagIsRefusedWithExit2() throws {
        let r = try pinctl(["census", "--deep", "--flags", "anon,nosuchflag"])
        #expect(r.status == ExitStatus.invalidInput)
        #expect(r.stderr.contains("nosuchflag"))
    }

    @Test func deepWithoutTheModuleSaysWhatItWouldAddInOneLine() throws {
        try #require(!FileManager.default.fileExists(atPath: "/dev/pinctl"), "the module is loaded here")
        let r = try pinctl(["census", "--deep"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("--deep") }
        #expect(lines.count == 1 && lines[0].contains("pinctl module load"))
    }
}

/// Runs a command with a file as its stdin.
func run(_ argv: [String], stdinFile: String) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinFile))
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

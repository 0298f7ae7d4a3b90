import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Live tests need root: /proc/kpageflags is 0400 root, PFNs need CAP_SYS_ADMIN.
let isRoot = geteuid() == 0

/// The package root, found from this file's path (Tests/PinctlKitTests/TestSupport.swift).
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where `swift build` put the executables: $PINCTL_BUILD_DIR, else .build/debug. The
/// holder always comes from .build/debug: it is the process being inspected, not the code
/// under test, and a sanitized one carries terabytes of shadow reservations that turn a
/// whole-process walk into minutes of reading empty pagemap entries.
func builtBinary(_ name: String) -> String {
    if name != "pinctl-test-holder", let dir = ProcessInfo.processInfo.environment["PINCTL_BUILD_DIR"] {
        return dir + "/" + name
    }
    return repoRoot.appendingPathComponent(".build/debug/\(name)").path
}

/// The tests run a sanitized pinctl (scripts/check/sanitize.sh sets these): its runtime's shadow
/// memory and quarantine say nothing about pinctl's own memory use, so bounds on memory skip.
let underSanitizer =
    ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil || ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil

/// ThreadSanitizer's runtime starts a thread of its own (at the first pthread_create) that
/// leaves glibc's signals 32 and 33 unblocked: the kernel may deliver them there, where
/// pinctl's mask cannot reach, and the ignored ones are then dropped.
let underThreadSanitizer = ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil

let binariesBuilt =
    FileManager.default.isExecutableFile(atPath: builtBinary("pinctl"))
    && FileManager.default.isExecutableFile(atPath: builtBinary("pinctl-test-holder"))

/// A pinctl-test-holder process: maps and touches regions, holds them until stopped.
final class Holder {
    let process = Process()
    let stdin = Pipe()
    let stdout = Pipe()
    private(set) var regions: [String: (start: UInt64, size: UInt64)] = [:]
    /// Every line the holder printed up to "ready" ("region ...", "zombie PID").
    private(set) var lines: [Substring] = []
    var pid: Int32 { process.processIdentifier }

    init(_ specs: [String], launcher: [String] = []) throws {
        let bin = builtBinary("pinctl-test-holder")
        if launcher.isEmpty {
            process.executableURL = URL(fileURLWithPath: bin)
            process.arguments = specs
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [bin] + specs
        }
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let handle = stdout.fileHandleForReading
        var text = ""
        while !text.contains("ready\n") {
            let d = handle.availableData
            if d.isEmpty { throw HolderError.exited(text) }
            text += String(decoding: d, as: UTF8.self)
        }
        lines = text.split(separator: "\n")
        for line in lines where line.hasPrefix("region ") {
            let f = line.split(separator: " ")
            regions[String(f[1])] = (UInt64(f[2].dropFirst(2), radix: 16)!, UInt64(f[3])!)
        }
    }

    func region(_ kind: String) -> (start: UInt64, size: UInt64) { regions[kind]! }

    func stop() {
        guard process.isRunning else { return }
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
    }

    enum HolderError: Error { case exited(String) }
}

/// An independent reader of the raw /proc files, used to check pinctl against the kernel.
/// Deliberately separate from PinctlKit's readers.
enum RawProc {
    static func read64(_ path: String, index: UInt64, count: Int) -> [UInt64]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt64](repeating: 0, count: count)
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(index * 8)) }
        guard n == count * 8 else { return nil }
        return out
    }

    static func pagemap(_ pid: Int32, _ va: UInt64, pages: Int) -> [UInt64] {
        read64("/proc/\(pid)/pagemap", index: va / 4096, count: pages)!
    }

    static func kpageflags(_ pfn: UInt64) -> UInt64 { read64("/proc/kpageflags", index: pfn, count: 1)![0] }
    static func kpagecount(_ pfn: UInt64) -> UInt64 { read64("/proc/kpagecount", index: pfn, count: 1)![0] }
}

/// A launcher that runs a command as nobody (uid and gid 65534, no groups).
let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// The command was still running at its time limit and was killed.
    var timedOut = false
}

/// How long `run` waits by default: far longer than any command of the suites takes on a
/// loaded machine, so that only a blocked command reaches it.
let commandTimeLimit: TimeInterval = 300

/// Runs a command to completion (see `RunningCommand.finish` for the time limit) and
/// collects its output.
func run(_ argv: [String], limit: TimeInterval = commandTimeLimit, environment: [String: String] = [:]) throws -> CommandResult {
    try RunningCommand(argv, environment: environment).finish(limit: limit)
}

func pinctl(
    _ args: [String], as launcher: [String] = [], limit: TimeInterval = commandTimeLimit, environment: [String: String] = [:]
) throws -> CommandResult {
    try run(launcher + [builtBinary("pinctl")] + args, limit: limit, environment: environment)
}

/// A command started with stdin on /dev/null and its stdout and stderr on pipes that are
/// read while it runs (a full pipe would block it), for tests that act on it meanwhile.
final class RunningCommand {
    let process: Process
    private let out: PipeReader
    private let err: PipeReader

    /// `environment`: variables set (or replaced) on top of this process's environment.
    init(_ argv: [String], environment: [String: String] = [:]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        self.out = PipeReader(out)
        self.err = PipeReader(err)
    }

    /// Waits for the command and collects its output. One still running after `limit`
    /// seconds is killed (SIGKILL) and the result says `timedOut`: a command that blocks
    /// fails its test instead of hanging the suite.
    func finish(limit: TimeInterval = commandTimeLimit) -> CommandResult {
        let deadline = Date().addingTimeInterval(limit)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: out.text(), stderr: err.text(), timedOut: timedOut)
    }
}

/// Reads a pipe to its end on a thread of its own.
final class PipeReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything the pipe carried, once its writers have closed it.
    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}

/// One line on stderr naming `mentions`, ending in a newline, with no trap and no raw
/// control character.
func expectOneLineError(_ r: CommandResult, status: Int32, mentions: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "exit \(r.status), stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(
        r.stderr.hasSuffix("\n") && r.stderr.split(separator: "\n", omittingEmptySubsequences: false).count == 2,
        "want exactly one line on stderr, got: \(r.stderr.debugDescription)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(mentions), "stderr should name '\(mentions)': \(r.stderr)", sourceLocation: sourceLocation)
    #expect(!r.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
    expectNoRawControls(r.stderr, sourceLocation: sourceLocation)
}

func expectNoRawControls(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let raw = text.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) }
    #expect(raw.isEmpty, "raw control characters reach the terminal: \(text.debugDescription)", sourceLocation: sourceLocation)
}

func hexString(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// mkdtemp(3) on a copy of `template` (freed here: a strdup()ed template leaked under LSan).
func makeTemporaryDirectory(_ template: String) -> String? {
    var bytes = Array(template.utf8CString)
    return bytes.withUnsafeMutableBufferPointer { buf in
        mkdtemp(buf.baseAddress!).map { String(cString: $0) }
    }
}

/// The conditions most live suites share, named once.
extension Trait where Self == ConditionTrait {
    /// Live /proc tests: kpageflags is 0400 root, PFNs need CAP_SYS_ADMIN.
    static var needsRootForProc: Self {
        .enabled(if: isRoot, "live /proc tests need root (kpageflags is 0400 root, PFNs need CAP_SYS_ADMIN)")
    }

    /// The suite starts the built test holder and pinctl.
    static var needsBuiltBinaries: Self {
        .enabled(if: binariesBuilt, "run `swift build` first: the tests start .build/debug/pinctl-test-holder and pinctl")
    }
}

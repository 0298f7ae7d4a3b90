import Foundation
import Testing

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

/// pinctl started with stdout and stderr on pipes the test reads itself, to act on the
/// process while it runs (signal it, close its stdout, kill its target); `RunningCommand`
/// reads them for a test that only waits.
func startPinctl(_ args: [String]) throws -> (process: Process, stdout: FileHandle, stderr: FileHandle) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: builtBinary("pinctl"))
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    return (p, out.fileHandleForReading, err.fileHandleForReading)
}

/// What `handle` carries until `enough` says so, or until it ends.
func read(_ handle: FileHandle, until enough: (Data) -> Bool) -> Data {
    var data = Data()
    while !enough(data) {
        let more = handle.availableData
        if more.isEmpty { break }
        data += more
    }
    return data
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

/// A fresh directory `pinctl-LABEL-...` under $TMPDIR, for the test to remove.
func tempDir(_ label: String) throws -> String {
    try #require(makeTemporaryDirectory(NSTemporaryDirectory() + "pinctl-\(label)-XXXXXX"))
}

/// The conditions most live suites share, named once.
extension Trait where Self == ConditionTrait {
    /// The test makes a small memory cgroup of its own.
    static var needsMemoryCgroup: Self {
        .enabled(if: TestCgroup.available, "needs a writable memory cgroup (v1 memory, or v2 with memory delegated) above this process")
    }

    /// A sanitized pinctl's shadow memory would be charged to the test's small cgroup.
    static var unsanitizedInSmallCgroup: Self {
        .enabled(if: !underSanitizer, "a sanitized pinctl's own shadow memory is charged to the small cgroup and can get it OOM-killed")
    }

    /// Live /proc tests: kpageflags is 0400 root, PFNs need CAP_SYS_ADMIN.
    static var needsRootForProc: Self {
        .enabled(if: isRoot, "live /proc tests need root (kpageflags is 0400 root, PFNs need CAP_SYS_ADMIN)")
    }

    /// The suite starts the built pinctl.
    static var needsBuiltPinctl: Self {
        .enabled(if: binariesBuilt, "run `swift build` first: the tests start .build/debug/pinctl")
    }

    /// The suite starts the built test holder and pinctl.
    static var needsBuiltBinaries: Self {
        .enabled(if: binariesBuilt, "run `swift build` first: the tests start .build/debug/pinctl-test-holder and pinctl")
    }
}

/// The page flags the kernel changes on its own while a page sits still, which a live test
/// must not compare between two reads: `referenced` (2), `lru` (5), `active` (6) and
/// `idle` (25). DAMON's physical-address monitor (this host runs it) and idle page tracking
/// set `idle` and clear young PTE bits at any moment; reclaim scans and accesses move
/// `referenced` and `active`; and a freshly faulted small folio waits in a per-CPU lru_add
/// batch before PG_lru is set, so `lru` appears whenever that CPU drains it (measured: 16
/// pages of a just-started holder, two to ten of them without `lru` at "ready", all with it
/// a second later). `young` has no kpageflags bit; smaps reports it as `Referenced`.
/// Everything else of a held page (PFN, presence, mapcount, memcg, the other flags) stays.
enum StableFlags {
    static let lruState: [(bit: Int, name: String)] = [(2, "referenced"), (5, "lru"), (6, "active"), (25, "idle")]
    static let mask: UInt64 = lruState.reduce(0) { $0 | 1 << UInt64($1.bit) }
    /// pinctl's names of those bits, and page-types' (`idle_page`).
    static let names: Set<String> = Set(lruState.map(\.name) + ["idle_page"])

    static func stable(_ flags: UInt64) -> UInt64 { flags & ~mask }
    static func stable(_ names: [String]) -> [String] { names.filter { !Self.names.contains($0) } }
    static func stable(_ names: Set<String>) -> Set<String> { names.subtracting(Self.names) }
    static func stable<Count>(_ counts: [String: Count]) -> [String: Count] { counts.filter { !names.contains($0.key) } }
}

/// Two live reads of the same pages compared once, on what the kernel cannot change between
/// them (`StableFlags`): `inspect` output in any format, line by line (a --json document,
/// one line, object by object), with the LRU-state flags taken out of rows and flag counts,
/// and smaps' `Referenced` out of VMAs. Rows keep their shape (a row collapses a compound
/// page or a run of equal absent entries, never pages by their flags), so the lines, their
/// number and every other field compare exactly.
enum LiveComparison {
    /// The lines of `inspect` output, a --json document cut after each object's end; each
    /// says whether it is JSON.
    static func pieces(_ output: String) -> [(text: Substring, json: Bool)] {
        output.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).flatMap { bytes in
            let line = Substring(bytes)
            guard line.hasPrefix("{") else { return [(line, false)] }
            guard !line.hasPrefix("{\"type\":") else { return [(line, true)] }
            return bytes.split(separator: UInt8(ascii: "}"), omittingEmptySubsequences: false).map { (Substring($0), true) }
        }
    }

    static func stable(_ piece: (text: Substring, json: Bool)) -> String {
        piece.json ? stableJSONLine(piece.text) : stableTextLine(piece.text)
    }

    /// `inspect` output as comparable lines, every one without LRU state.
    static func inspectLines(_ output: String) -> [String] { pieces(output).map(stable) }

    /// The first difference between two `inspect` outputs outside LRU state, or nil. Only
    /// lines that differ as printed are stripped (a few, where DAMON marked pages `idle`):
    /// megabytes of rows compare in a blink where stripping them all took seconds.
    static func inspectDifference(_ a: String, _ b: String) -> String? {
        guard a != b else { return nil }
        let x = pieces(a), y = pieces(b)
        for i in 0..<min(x.count, y.count) where x[i].text != y[i].text {
            let p = stable(x[i]), q = stable(y[i])
            if p != q { return "line \(i + 1): \(p) != \(q) (\(x.count) vs \(y.count) lines)" }
        }
        guard x.count != y.count else { return nil }
        let i = min(x.count, y.count)
        return
            "line \(i + 1): \(i < x.count ? stable(x[i]) : "(end)") != \(i < y.count ? stable(y[i]) : "(end)") (\(x.count) vs \(y.count) lines)"
    }

    /// The first line that differs, with both sides, or nil when none does.
    static func firstDifference(_ a: [String], _ b: [String]) -> String? {
        guard a != b else { return nil }
        let i = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        return "line \(i + 1): \(i < a.count ? a[i] : "(end)") != \(i < b.count ? b[i] : "(end)") (\(a.count) vs \(b.count) lines)"
    }

    /// A text row ("0x... [pagemap bits] name,name") without the LRU-state names, and the
    /// summary's "flags name=count ..." line without their counts.
    static func stableTextLine(_ line: Substring) -> String {
        if line.hasPrefix("0x"), let close = line.firstIndex(of: "]") {
            var rest = line[line.index(after: close)...].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard rest.count >= 2, rest[0].isEmpty, !rest[1].contains("=") else { return String(line) }
            let kept = StableFlags.stable(rest[1].split(separator: ",").map(String.init))
            rest[1] = kept.joined(separator: ",")
            if kept.isEmpty { rest.remove(at: 1) }
            return String(line[...close]) + rest.joined(separator: " ")
        }
        if line.hasPrefix("    flags ") {
            let kept = line.split(separator: " ").dropFirst().filter { !StableFlags.names.contains(String($0.prefix { $0 != "=" })) }
            return (["    flags"] + kept).joined(separator: " ")
        }
        return String(line)
    }

    /// A JSON line without LRU state: rows' `flags` names and `kpageflags` bits, summaries'
    /// `flagCounts`, and smaps' `Referenced` (young PTEs, cleared by DAMON as it samples).
    static func stableJSONLine(_ line: Substring) -> String {
        func key(_ item: Substring) -> String { String(item.drop { $0 == "\"" }.prefix { $0 != "\"" }) }
        func without(_ items: Substring, _ drop: (String) -> Bool) -> String {
            items.split(separator: ",").filter { !drop(key($0)) }.joined(separator: ",")
        }
        return rewrite(
            line,
            [
                ("\"flags\":[", "]", { without($0) { StableFlags.names.contains($0) } }),
                ("\"kpageflags\":\"", "\"", { UInt64($0.dropFirst(2), radix: 16).map { hexString(StableFlags.stable($0)) } ?? String($0) }),
                ("\"flagCounts\":{", "}", { without($0) { StableFlags.names.contains($0) } }),
                ("\"smaps\":{", "}", { without($0) { $0 == "Referenced" } }),
            ])
    }

    /// `s` with the text between each key (all begin with a quote) and the next `close`
    /// after it (or the end) replaced by `change` of it, in one pass over the bytes.
    static func rewrite(_ s: Substring, _ keys: [(key: String, close: Character, change: (Substring) -> String)]) -> String {
        let bytes = Array(s.utf8)
        let patterns = keys.map { (Array($0.key.utf8), $0.close.asciiValue!, $0.change) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        scan: while i < bytes.count {
            if bytes[i] == 0x22 {
                for (key, close, change) in patterns
                where i + key.count <= bytes.count && bytes[i..<(i + key.count)].elementsEqual(key) {
                    out += key
                    i += key.count
                    let start = i
                    while i < bytes.count && bytes[i] != close { i += 1 }
                    out += change(Substring(decoding: bytes[start..<i], as: UTF8.self)).utf8
                    continue scan
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Writes `bytes` to `path` and syncs it: the page cache holds clean pages, so writeback
/// cannot turn a mapped page's `dirty` into `writeback` and then clean between two reads
/// (measured: the mapped pages of a just-written 16 MiB file lost `dirty` within 90 s).
func writeSyncedFile(_ path: String, bytes: Data) throws {
    try bytes.write(to: URL(fileURLWithPath: path))
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw CocoaError(.fileWriteUnknown) }
}

/// `pages` more 2 MiB hugetlb pages in the pool for a test, given back at `release`.
/// Suites run in parallel and several use hugetlb pages: each grows the pool by its own
/// pages and shrinks it by as many, both under one flock, so no test takes or frees
/// another's. Cancels the test when the kernel cannot grow the pool.
struct HugetlbReservation {
    static let pool = "/proc/sys/vm/nr_hugepages"
    static let lock = "/run/pinctl-tests-hugetlb.lock"
    let pages: UInt64

    init(pages: UInt64) throws {
        let pool = Self.pool
        let script = "n=$(cat \(pool)); echo $((n + \(pages))) > \(pool); echo $(( $(cat \(pool)) - n ))"
        let grown = try run(["/usr/bin/flock", Self.lock, "/bin/sh", "-c", script])
        let got = UInt64(grown.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        self.pages = min(got, pages)
        if grown.status != 0 || got < pages {
            release()
            try Test.cancel("could not reserve \(pages) 2 MiB hugetlb pages: \(grown.stdout) \(grown.stderr)")
        }
    }

    func release() {
        guard pages > 0 else { return }
        let pool = Self.pool
        _ = try? run(["/usr/bin/flock", Self.lock, "/bin/sh", "-c", "echo $(( $(cat \(pool)) - \(pages) )) > \(pool)"])
    }
}

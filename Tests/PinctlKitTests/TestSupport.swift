import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Live tests need root: /proc/kpageflags is 0400 root, PFNs need CAP_SYS_ADMIN.
let isRoot = geteuid() == 0

/// The package root, found from this file's path (Tests/PinctlKitTests/TestSupport.swift).
let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where `swift build` put the executables: $PINCTL_BUILD_DIR, else .build/debug.
func builtBinary(_ name: String) -> String {
    if let dir = ProcessInfo.processInfo.environment["PINCTL_BUILD_DIR"] { return dir + "/" + name }
    return repoRoot.appendingPathComponent(".build/debug/\(name)").path
}

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

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a command to completion and collects its output.
func run(_ argv: [String]) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read before waiting: a full pipe would block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: e, as: UTF8.self))
}

func pinctl(_ args: [String], as launcher: [String] = []) throws -> CommandResult {
    try run(launcher + [builtBinary("pinctl")] + args)
}

func hexString(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

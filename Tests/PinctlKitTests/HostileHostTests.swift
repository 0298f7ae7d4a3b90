import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A sanitizer's runtime reads /proc/self/exe and maps before main: without /proc an
/// instrumented pinctl cannot start at all, whatever pinctl itself does.
private let sanitizerNeedsProc: Comment = "a sanitizer's runtime needs /proc to start"

/// Every command, run on hosts unlike a developer's: a row per command for each fixture, so
/// that a command added later gets the same treatment (`everyCommandHasARow` fails until it
/// has its row).
@Suite(
    .serialized, .enabled(if: isRoot, "a mount namespace and umount need root"),
    .enabled(if: binariesBuilt, "run `swift build` first: the tests start .build/debug/pinctl"))
struct HostileHostTests {
    /// A command's invocation, and whether it can do its job without /proc (then it must;
    /// otherwise it says so in one line).
    struct Row: Sendable, CustomTestStringConvertible {
        var command: String
        var arguments: [String]
        var worksWithoutProc: Bool
        var testDescription: String { "pinctl " + arguments.joined(separator: " ") }
    }

    static let rows: [Row] = [
        Row(command: "inspect", arguments: ["inspect", "self", "[stack]"], worksWithoutProc: false),
        Row(command: "maps", arguments: ["maps", "self"], worksWithoutProc: false),
        Row(command: "pin", arguments: ["pin", "anon:64K", "--for", "0"], worksWithoutProc: false),
        Row(command: "files", arguments: ["files", "/etc/passwd"], worksWithoutProc: true),
        Row(command: "module", arguments: ["module", "status"], worksWithoutProc: true),
        Row(command: "census", arguments: ["census"], worksWithoutProc: false),
        Row(command: "phys", arguments: ["phys", "0x1000"], worksWithoutProc: false),
        Row(command: "flags", arguments: ["flags", "lru"], worksWithoutProc: true),
    ]

    /// The subcommands `pinctl --help` lists.
    @Test func everyCommandHasARow() throws {
        let help = try pinctl(["--help"])
        let after = help.stdout.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        let section = after.components(separatedBy: "\n\n").first ?? ""
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }
        #expect(listed.count >= 8, "\(help.stdout)")
        #expect(Set(listed) == Set(Self.rows.map(\.command)), "commands without a row, or rows without a command")
        #expect(Set(listed) == Set(Self.besideStoppedFuse.keys), "commands without a stopped-FUSE row, or rows without a command")
    }

    /// pinctl in a mount namespace whose /proc is unmounted (a chroot or a minimal
    /// container has none).
    func withoutProc(_ arguments: [String]) throws -> CommandResult {
        try run(
            [
                try #require(unshare), "--mount", "--propagation", "private", "/bin/sh", "-c", "umount -l /proc && exec \"$@\"", "sh",
                builtBinary("pinctl"),
            ] + arguments)
    }

    /// Before: every command, even --version, died of SIGILL (exit 132): Swift reads the
    /// arguments from /proc/self/cmdline, found none, and a 1..<0 range trapped.
    @Test(
        .enabled(if: unshare != nil, "unshare (util-linux) is missing"),
        .enabled(if: !underSanitizer, sanitizerNeedsProc))
    func versionAndHelpNeedNoProc() throws {
        let version = try withoutProc(["--version"])
        #expect(version.status == 0 && version.stdout == PinctlVersion.current + "\n", "exit \(version.status): \(version.stderr)")
        let help = try withoutProc(["flags", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: pinctl flags"), "exit \(help.status): \(help.stderr)")
        // The arguments arrive whole, and a bad one is still refused as usage.
        let bad = try withoutProc(["flags", "--no-such-option"])
        #expect(bad.status == ExitStatus.usage, "exit \(bad.status): \(bad.stderr)")
    }

    @Test(
        .enabled(if: unshare != nil, "unshare (util-linux) is missing"),
        .enabled(if: !underSanitizer, sanitizerNeedsProc),
        arguments: rows)
    func commandWithoutProcWorksOrSaysSoInOneLine(_ row: Row) throws {
        let r = try withoutProc(row.arguments)
        #expect(!r.timedOut)
        if row.worksWithoutProc {
            #expect(r.status == 0, "exit \(r.status): \(r.stderr)")
            #expect(!r.stdout.isEmpty && r.stderr.isEmpty, "\(r.stderr)")
        } else {
            #expect(r.status == ExitStatus.failure, "exit \(r.status): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix("pinctl: no /proc mounted") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
            let json = try withoutProc(row.arguments + ["--json"])
            #expect(json.status == ExitStatus.failure && json.stdout.contains(#""exitStatus":1"#), "\(json.stdout)")
        }
    }

    /// A FUSE file system that stopped answering, with one of its files held open by a
    /// process (a hung NFS server, a stopped FUSE daemon): `pinctl-test-fuse`. Stopped and
    /// unmounted on the way out, also when the test fails.
    final class StoppedFuse {
        let daemon = Process()
        let stdin = Pipe()
        let mountpoint: String
        let tree: String?
        /// The process holding the file open, and its descriptor of it.
        let holder: Int32
        let heldFd: Int32

        /// `inTree`: mount it at `mnt` in a new directory that also holds a small file
        /// (`tree`), as a user's mount sits in a tree root walks.
        init(inTree: Bool = false) throws {
            if inTree {
                tree = try tempDir("fusetree")
                try "data".write(toFile: tree! + "/data", atomically: false, encoding: .utf8)
                mountpoint = tree! + "/mnt"
                try #require(mkdir(mountpoint, 0o755) == 0)
            } else {
                tree = nil
                mountpoint = try tempDir("fuse")
            }
            let stdout = Pipe()
            daemon.executableURL = URL(fileURLWithPath: builtBinary("pinctl-test-fuse"))
            daemon.arguments = [mountpoint]
            daemon.standardInput = stdin
            daemon.standardOutput = stdout
            try daemon.run()
            var text = ""
            while !text.hasSuffix("\n") {
                let d = stdout.fileHandleForReading.availableData
                if d.isEmpty { break }
                text += String(decoding: d, as: UTF8.self)
            }
            let words = text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try #require(text.hasPrefix("ready ") && words.count == 2, "pinctl-test-fuse said '\(text)'")
            (holder, heldFd) = (words[0], words[1])
        }

        func stop() {
            try? stdin.fileHandleForWriting.close()
            daemon.waitUntilExit()
            try? FileManager.default.removeItem(atPath: tree ?? mountpoint)
        }
    }

    /// What the fixture proves before it is used: a stat of the held file blocks.
    @Test func stoppedFuseBlocksAStatOfTheHeldFile() throws {
        let fuse = try StoppedFuse()
        defer { fuse.stop() }
        let r = try run(["/usr/bin/stat", "-L", "/proc/\(fuse.holder)/fd/\(fuse.heldFd)"], limit: 2)
        #expect(r.timedOut, "the stat returned: \(r.stdout) \(r.stderr)")
    }

    /// Every command beside a stopped FUSE mount with a file held open in it, the mount in a
    /// tree the page-cache commands walk (TREE) and the holder a process the process
    /// commands read (HOLDER); a command added later needs its row (`everyCommandHasARow`).
    static let besideStoppedFuse: [String: [[String]]] = [
        "inspect": [["inspect", "HOLDER", "[stack]"]],
        "maps": [["maps", "HOLDER"]],
        "pin": [["pin", "file:TREE", "--for", "0"]],
        "files": [["files", "TREE"], ["files", "-F", "TREE"], ["files", "--json", "TREE"]],
        "module": [["module", "status"]],
        "census": [["census"], ["census", "--json"], ["census", "--openmetrics"]],
        "phys": [["phys", "--owners", "0x1000+16"]],
        "flags": [["flags", "lru"]],
    ]

    /// Before: the census fstatat()ed every fd through /proc/PID/fd and hung for good in
    /// the stopped daemon's GETATTR (SIGTERM did not end it); now a file is classified from
    /// readlink, fdinfo and mountinfo. `files` and `pin file:` of a tree holding the mount opened its root and
    /// blocked in the daemon for good (even with -F, which looked at the device only after
    /// the open). Now a mount point of FUSE, NFS and the like met in a walk is judged by
    /// its type in /proc/self/mountinfo and not entered, and the rest never touch it.
    @Test(arguments: besideStoppedFuse.keys.sorted())
    func commandFinishesBesideAFileSystemThatStoppedAnswering(_ command: String) throws {
        let fuse = try StoppedFuse(inTree: true)
        defer { fuse.stop() }
        let tree = try #require(fuse.tree)
        for args in Self.besideStoppedFuse[command] ?? [] {
            let argv = args.map {
                $0 == "TREE" ? tree : $0 == "HOLDER" ? "\(fuse.holder)" : $0.replacingOccurrences(of: "TREE", with: tree)
            }
            let r = try pinctl(argv, limit: 60)
            #expect(!r.timedOut && r.status == 0, "\(argv): exit \(r.status), timed out \(r.timedOut): \(r.stderr)")
            if command == "files" || command == "pin" {
                let said =
                    r.stdout.contains("may-stop-answering") || r.stderr.contains("can stop answering")
                    || (args.contains("-F") && r.stdout.contains("other-file-system") || r.stderr.contains("--one-file-system"))
                #expect(said, "\(argv): \(r.stdout.prefix(400)) \(r.stderr)")
            }
        }
    }

    /// A tracefs mounted in a temporary directory, with an instance of its own (its own ring
    /// buffer, so the host's tracing is not touched); unmounted on the way out.
    final class TracefsTree {
        let mountpoint: String
        let instance: String

        init() throws {
            mountpoint = try tempDir("tracefs")
            try #require(mount("nodev", mountpoint, "tracefs", 0, nil) == 0, "mount -t tracefs: \(String(cString: strerror(errno)))")
            instance = mountpoint + "/instances/pinctl-test-\(getpid())"
            try #require(mkdir(instance, 0o755) == 0, "mkdir \(instance): \(String(cString: strerror(errno)))")
        }

        /// The instance's ring buffer size: closing its free_buffer shrinks it.
        func bufferSizeKB() throws -> String {
            try String(contentsOfFile: instance + "/buffer_size_kb", encoding: .utf8)
        }

        func remove() {
            _ = rmdir(instance)
            _ = umount2(mountpoint, Int32(MNT_DETACH))
            _ = rmdir(mountpoint)
        }
    }

    static let tracefsMountable: Bool =
        (try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8))?.contains("\ttracefs\n") ?? false

    /// Before: `files` and `pin file:` opened every tracefs control file for reading (root
    /// bypasses their write-only modes), and closing free_buffer freed the trace ring buffer
    /// (buffer_size_kb 1410 -> 7 here). Now nothing on a pseudo file system is opened: an
    /// argument there is skipped or refused, and so is a mount point met in a walk.
    @Test(.enabled(if: tracefsMountable, "this kernel has no tracefs"))
    func pageCacheCommandsNeverOpenTracefsFiles() throws {
        let tracefs = try TracefsTree()
        defer { tracefs.remove() }
        let size = try tracefs.bufferSizeKB()
        // A tree that holds a tracefs mount point, as / does on any host that mounts it.
        let tree = try tempDir("tree")
        defer { try? FileManager.default.removeItem(atPath: tree) }
        try "data".write(toFile: tree + "/data", atomically: false, encoding: .utf8)
        #expect(mkdir(tree + "/tracing", 0o755) == 0)
        try #require(mount(tracefs.mountpoint, tree + "/tracing", nil, UInt(MS_BIND), nil) == 0)
        defer { _ = umount2(tree + "/tracing", Int32(MNT_DETACH)) }
        for args in [
            ["files", tracefs.instance], ["files", tracefs.instance + "/free_buffer"], ["files", "-f", tracefs.instance],
            ["files", "--json", tracefs.mountpoint], ["files", tree],
        ] {
            let r = try pinctl(args)
            #expect(r.status == 0, "\(args): exit \(r.status): \(r.stderr)")
            let said =
                args.contains("--json")
                ? r.stdout.contains("\"pseudo-file-system\"") : r.stderr.contains(": on tracefs, a file system of kernel controls")
            #expect(said, "\(args): \(r.stdout.prefix(300)) \(r.stderr)")
        }
        for args in [["pin", "file:" + tracefs.instance + "/trace", "--for", "0"], ["pin", "file:" + tree + "/tracing", "--for", "0"]] {
            let r = try pinctl(args)
            #expect(r.status == ExitStatus.invalidInput, "\(args): exit \(r.status): \(r.stderr)")
        }
        #expect(try tracefs.bufferSizeKB() == size, "a tracefs control file was opened and closed")
    }

    /// procfs and sysfs likewise: skipped, not a row per control file.
    @Test(arguments: ["/proc/sys/vm", "/sys/kernel/mm", "/proc/self/status"])
    func pseudoFileSystemArgumentIsSkippedNotOpened(_ path: String) throws {
        let r = try pinctl(["files", "--json", path])
        #expect(r.status == 0, "exit \(r.status): \(r.stderr)")
        #expect(r.stdout.contains("\"pseudo-file-system\""), "\(r.stdout)")
        #expect(!r.stdout.contains("\"pages\":1,"), "a control file was counted: \(r.stdout.prefix(300))")
    }

    /// Before: in a new pid namespace with the parent's /proc (`unshare --pid --fork`),
    /// `self` was read through /proc/GETPID, /proc/1 there: `maps self` listed the host's
    /// init, and a pin reported "resident 0, pinned 0". Now `self` is /proc/self.
    @Test(.enabled(if: unshare != nil, "unshare (util-linux) is missing"))
    func selfInANewPidNamespaceIsThisProcess() throws {
        let binary = URL(fileURLWithPath: builtBinary("pinctl")).resolvingSymlinksInPath().path
        let maps = try run([try #require(unshare), "--pid", "--fork", binary, "maps", "self"])
        #expect(maps.status == 0 && maps.stdout.contains(binary), "exit \(maps.status): \(maps.stdout.prefix(400)) \(maps.stderr)")
        let pin = try run([try #require(unshare), "--pid", "--fork", binary, "pin", "--json", "--method", "mlock", "anon:1M", "--for", "0"])
        #expect(pin.status == 0 && pin.stdout.contains(#""residentPages":256"#), "exit \(pin.status): \(pin.stdout) \(pin.stderr)")
    }

    /// Before: root of a user namespace (`unshare -r`) has CAP_IPC_LOCK in CapEff, and
    /// `--dry-run` said mlock and io_uring would pin 64 MiB under an 8 MiB RLIMIT_MEMLOCK;
    /// the pin then failed with a bare ENOMEM. The kernel asks about the initial namespace.
    @Test(.enabled(if: unshare != nil, "unshare (util-linux) is missing"))
    func capabilitiesOfAUserNamespaceDoNotLiftTheMemlockLimit() throws {
        let r = try run([
            try #require(unshare), "--user", "--map-root-user", "/bin/sh", "-c", "ulimit -l 8192 && exec \"$@\"", "sh",
            builtBinary("pinctl"), "pin", "--dry-run", "anon:64M",
        ])
        let mlock = r.stdout.split(separator: "\n").first { $0.hasPrefix("mlock ") } ?? ""
        #expect(mlock.contains(" no ") && mlock.contains("RLIMIT_MEMLOCK"), "\(r.stdout) \(r.stderr)")
    }

    /// Before: a part of a procfs bound over /proc passed the file system check, and
    /// census named /proc/vmstat ENOENT, maps took pid 1 for a process that exited.
    @Test(.enabled(if: unshare != nil, "unshare (util-linux) is missing"), .enabled(if: !underSanitizer, sanitizerNeedsProc))
    func aPartOfProcfsOverProcIsNoProc() throws {
        for args in [["census"], ["maps", "1"], ["phys", "0x1000"]] {
            let r = try run(
                [
                    try #require(unshare), "--mount", "--propagation", "private", "/bin/sh", "-c",
                    "mount --bind /proc/sys /proc && exec \"$@\"",
                    "sh", builtBinary("pinctl"),
                ] + args)
            #expect(
                r.status == ExitStatus.failure && r.stderr.hasPrefix("pinctl: no /proc mounted"), "\(args): exit \(r.status): \(r.stderr)")
        }
    }

    /// The check itself: this host's /proc passes, a directory that is not procfs does not.
    @Test func procMountIsRecognisedByItsFileSystem() throws {
        try ProcMount.require()
        #expect(throws: PinctlError.self) { try ProcMount.require("/tmp") }
        #expect(throws: PinctlError.self) { try ProcMount.require("/nonexistent") }
    }
}

import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

let strace = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }
/// strace is there and may trace here (a container's seccomp profile can refuse ptrace).
let straceTraces: Bool = {
    guard let strace else { return false }
    return (try? run([strace, "-f", "-qq", "-o", "/dev/null", "/bin/true"]))?.status == 0
}()
let unshare = ["/usr/bin/unshare", "/bin/unshare"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The hostile-input table of the commands added after the first one (census --output,
/// files, phys, flags, module status): where their output goes and how their errors read,
/// as a hostile user or a mistyped path would have it. Each row failed before its fix.
@Suite(
    .serialized, .enabled(if: isRoot, "the census reads every process's fds and smaps, mknod needs root"),
    .needsBuiltPinctl)
struct HostileOutputTests {
    func entries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    // MARK: census --output FILE

    enum Planted: String, CaseIterable {
        case characterDevice, directory, fifo, socket

        /// Makes the object at `path`; its S_IF* type.
        func make(_ path: String) -> mode_t {
            switch self {
            case .characterDevice:
                // /dev/null's numbers (1, 3): a rename over it would replace the device node.
                _ = mknod(path, S_IFCHR | 0o644, dev_t(1 << 8 | 3))
                return S_IFCHR
            case .directory:
                _ = mkdir(path, 0o755)
                return S_IFDIR
            case .fifo:
                _ = mkfifo(path, 0o644)
                return S_IFIFO
            case .socket:
                _ = mknod(path, S_IFSOCK | 0o644, 0)
                return S_IFSOCK
            }
        }
    }

    /// Before: the device node, FIFO and socket were replaced by a regular file (exit 0;
    /// `--output /dev/null` replaced /dev/null), a directory was exit 1 (rename EISDIR).
    @Test(arguments: Planted.allCases)
    func outputOverSomethingNotARegularFileIsRefusedAndLeftAlone(_ planted: Planted) throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/pinctl.prom"
        let type = planted.make(file)
        for args in [["census", "--openmetrics", "--output", file], ["census", "--json", "--output", file]] {
            let r = try pinctl(args)
            expectOneLineError(r, status: ExitStatus.invalidInput, mentions: "--output '\(file)' is a")
            if args.contains("--json") {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
                #expect(json["exitStatus"] as? Int == Int(ExitStatus.invalidInput))
            } else {
                #expect(r.stdout.isEmpty)
            }
            var st = stat()
            #expect(lstat(file, &st) == 0 && st.st_mode & S_IFMT == type, "\(planted) was replaced")
            #expect(entries(dir) == ["pinctl.prom"], "left behind: \(entries(dir))")
        }
    }

    /// Before: a census into a full file system ended with `write(DIR/.x.prom.tmp-...)
    /// failed: ENOSPC`, which names a temporary the user never made and no fix. Now the line
    /// names the directory and both ways out (exit 1, as every report that cannot be
    /// written); nothing is left there. Out of blocks, then out of inodes.
    @Test(arguments: ["size=8k", "nr_inodes=2"])
    func outputToAFullFileSystemNamesTheFix(_ limit: String) throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let mounted = try run(["/bin/mount", "-t", "tmpfs", "-o", limit, "tmpfs", dir])
        try #require(mounted.status == 0, "cannot mount a tmpfs here: \(mounted.stderr)")
        defer { _ = try? run(["/bin/umount", dir]) }
        // Fill it: blocks with one file, inodes with files until one cannot be made.
        _ = try run(["/bin/sh", "-c", "head -c 1M /dev/zero >\"$0\"/fill; for i in 1 2 3; do : >\"$0\"/f$i; done", dir])
        let before = entries(dir)
        let r = try pinctl(["census", "--openmetrics", "--output", dir + "/pinctl.prom"])
        expectOneLineError(r, status: ExitStatus.failure, mentions: "ENOSPC")
        #expect(r.stderr.contains("the file system of \(dir) is full"), "\(r.stderr)")
        #expect(r.stderr.contains("free space there or give another --output"), "\(r.stderr)")
        #expect(entries(dir) == before, "left behind: \(entries(dir))")
    }

    /// Before: with fs.protected_symlinks off (as on this host), nobody's symlink
    /// /tmp/X -> DIR sent root's `--output /tmp/X/FILE` (and `pin --pidfile /tmp/X/FILE`)
    /// into DIR. Both the directory given as the link and a deeper path through it are
    /// refused before anything is pinned; nothing is written.
    @Test(arguments: [("--output", ""), ("--output", "/sub"), ("--pidfile", ""), ("--pidfile", "/sub")])
    func fileThroughAnotherUsersSymlinkInTmpIsRefused(_ option: String, _ below: String) throws {
        let target = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: target) }
        try FileManager.default.createDirectory(atPath: target + "/sub", withIntermediateDirectories: false)
        let link = "/tmp/pinctl-planted-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let planted = try run(nobody + ["/bin/ln", "-s", target, link])
        try #require(planted.status == 0, "nobody could not plant the link: \(planted.stderr)")
        defer { unlink(link) }
        let file = link + below + "/pinctl.prom"
        let r = try pinctl(
            option == "--output" ? ["census", "--openmetrics", "--output", file] : ["pin", "--for", "1s", "--pidfile", file, "anon:64K"])
        expectOneLineError(r, status: ExitStatus.permissionDenied, mentions: "\(link) is a symbolic link of uid 65534")
        #expect(entries(target) == ["sub"] && entries(target + "/sub").isEmpty, "written through the link")
    }

    /// Before: the temporary was `.NAME.tmp-PID`, so a user who can write the directory
    /// planted it for the coming pids and every census failed (exit 2, "exists"). Run in
    /// a new pid namespace, where pinctl is pid 1, the names are known.
    @Test(.enabled(if: unshare != nil, "unshare (util-linux) is missing"))
    func plantedTemporaryNamesDoNotBlockTheOutput() throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let planted = (1...3).map { "\(dir)/.pinctl.prom.tmp-\($0)" }
        for p in planted { try "planted".write(toFile: p, atomically: false, encoding: .utf8) }
        let r = try run([unshare!, "--pid", "--fork", builtBinary("pinctl"), "census", "--openmetrics", "--output", dir + "/pinctl.prom"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: dir + "/pinctl.prom", encoding: .utf8).contains("pinctl_census_processes"))
        for p in planted { #expect(try String(contentsOfFile: p, encoding: .utf8) == "planted") }
        #expect(entries(dir).count == 4, "\(entries(dir))")
    }

    /// Any command out of file descriptors names pinctl's limit and the fix, not only the
    /// file it could not open (before: `pin` with RLIMIT_NOFILE 4 said only "open(/proc/
    /// self/pagemap) failed: EMFILE"), whatever it was opening: with --pidfile, before, the
    /// pidfile's directory was blamed ("/tmp is not a directory we can open (EMFILE)").
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "prlimit (util-linux) is missing"),
        .enabled(if: !underSanitizer, "a sanitizer's runtime opens descriptors of its own"),
        arguments: [
            ["anon:4M"], ["--pidfile", "/tmp/pinctl-nofile-\(getpid()).pid", "anon:4M"], ["shm:pinctl-nofile-\(getpid()):4M"],
            ["file:/etc/hosts"],
        ])
    func outOfDescriptorsNamesTheLimitAndTheFix(_ args: [String]) throws {
        for limit in 4...6 {
            let r = try run(["/usr/bin/prlimit", "--nofile=\(limit):\(limit)", builtBinary("pinctl"), "pin", "--for", "0"] + args)
            // A range that fits in 5 or 6 descriptors may be pinned; none fits in 4.
            if r.status == 0 && limit > 4 { continue }
            expectOneLineError(r, status: ExitStatus.failure, mentions: "RLIMIT_NOFILE \(limit)")
            #expect(r.stderr.contains("ulimit -n") && !r.stderr.contains("writable file system"), "\(r.stderr)")
        }
        #expect(access("/tmp/pinctl-nofile-\(getpid()).pid", F_OK) != 0 && access("/dev/shm/pinctl-nofile-\(getpid())", F_OK) != 0)
    }

    /// Before: a census out of file descriptors (RLIMIT_NOFILE 5: LimitNOFILE= in the timer's
    /// unit, a shell's `ulimit -n`) counted every process "unreadable (skipped)", reported
    /// that nothing pins or locks (the holder's mlocked 64 KiB missing) and exited 0, and
    /// --output wrote that for Prometheus. Now: exit 1, one line naming the limit and the
    /// fix, the JSON error object, and no file written.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "prlimit (util-linux) is missing"),
        .enabled(if: !underSanitizer, "a sanitizer's runtime opens descriptors of its own"))
    func censusOutOfDescriptorsFailsInsteadOfReportingNothing() throws {
        let h = try Holder(["mlock:64K"])
        defer { h.stop() }
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let full = try pinctl(["census"])
        #expect(full.status == 0 && full.stdout.contains("\(h.pid) "), "\(full.stderr)")
        let limited = ["/usr/bin/prlimit", "--nofile=5:5", builtBinary("pinctl"), "census"]
        for extra in [[], ["--json"], ["--openmetrics", "--output", dir + "/pinctl.prom"]] {
            let r = try run(limited + extra)
            #expect(r.status == 1, "\(extra): exit \(r.status): \(r.stdout.prefix(200))")
            #expect(r.stderr.hasPrefix("pinctl: ") && r.stderr.contains("EMFILE") && r.stderr.contains("ulimit -n"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            if extra == ["--json"] { #expect(r.stdout.contains("\"exitStatus\":1"), "\(r.stdout)") }
        }
        #expect(entries(dir).isEmpty, "\(entries(dir))")
    }

    /// Before: census --output past RLIMIT_FSIZE (`ulimit -f`, LimitFSIZE=) died by SIGXFSZ
    /// from a shell (the kernel's signal beside EFBIG, delivered once the mask was back) with
    /// nothing said; where SIGXFSZ is ignored (this test runner) it said EFBIG on a temporary
    /// the user never made, with no way out. Now: exit 1, one line naming the limit and the
    /// fix, nothing left in the directory.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "prlimit (util-linux) is missing"),
        .enabled(if: !underSanitizer, "a sanitizer's runtime dies of the file size limit (its own files) before pinctl can say so"))
    func outputPastTheFileSizeLimitNamesTheFix() throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try run([
            "/usr/bin/prlimit", "--fsize=1024", builtBinary("pinctl"), "census", "--openmetrics", "--output", dir + "/pinctl.prom",
        ])
        #expect(r.status == 1, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.hasPrefix("pinctl: ") && r.stderr.contains("EFBIG") && r.stderr.contains("ulimit -f"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(entries(dir).isEmpty, "\(entries(dir))")
    }

    /// Before: census --output blocked the termination signals around its temporary with
    /// pthread_sigmask, which leaves glibc's 32 and 33 out, so `kill -32` (default action:
    /// death) between the temporary's creation and the rename left the temporary in the
    /// collector's directory. The block strace sees before the temporary is opened must
    /// include them (this test runner ignores 32, so the death itself is not seen here).
    @Test(
        .enabled(if: straceTraces, "strace is missing or may not trace here: scripts/check/install-deps.sh installs it"),
        .enabled(if: !underSanitizer, "LeakSanitizer will not run under ptrace: a sanitized pinctl under strace exits 1 at its end"))
    func outputBlocksGlibcsSignalsWhileTheTemporaryExists() throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trace = dir + "/trace"
        let r = try run([
            strace!, "-f", "-qq", "-o", trace, "-e", "trace=rt_sigprocmask,openat", builtBinary("pinctl"), "census", "--output",
            dir + "/census.prom",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let open = try #require(lines.firstIndex { $0.contains("openat(") && $0.contains(".census.prom.tmp-") }, "\(lines.suffix(5))")
        let block = try #require(lines[..<open].last { $0.contains("rt_sigprocmask(SIG_BLOCK, ") }, "no block before the temporary")
        // strace names 32 and 33 RTMIN and RT_1; "~[...]" lists what is left out.
        let set = block.split(separator: "SIG_BLOCK, ").last.map(String.init) ?? ""
        let names = set.prefix { $0 != "]" }
        let listsThem = names.contains("RTMIN") && names.contains("RT_1")
        #expect(set.hasPrefix("~[") ? !names.contains("RTMIN") && !names.contains("RT_1") : listsThem, "\(block)")
    }

    /// The writer puts the mask back as it was, glibc's signals 32 and 33 included (glibc's
    /// SIG_SETMASK restore unblocked them, for a caller that had blocked every termination
    /// signal, as `pin` and `census --watch` do). Read from this thread's SigBlk.
    @Test func outputLeavesGlibcsSignalsBlockedAsItFoundThem() throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // This thread's mask: the test stays on one thread (no suspension point in between).
        func blocked() throws -> UInt64 {
            let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
            return try #require(UInt64(String(line.dropFirst(7)).trimmingCharacters(in: CharacterSet.whitespaces), radix: 16))
        }
        let before = TerminationSignals.blockSaving()
        defer { TerminationSignals.restore(before) }
        let held = try blocked()
        let glibcs = TerminationSignals.libcInternal.reduce(UInt64(0)) { $0 | 1 << UInt64($1 - 1) }
        #expect(held & glibcs == glibcs, "blockSaving blocked \(String(held, radix: 16))")
        try AtomicFileWriter.write(Array("x\n".utf8), to: dir + "/out.prom")
        let after = try blocked()
        #expect(after == held, "after the write: \(String(after, radix: 16)), before: \(String(held, radix: 16))")
    }

    /// Before: a termination signal between the temporary's creation and the rename (here
    /// during an fsync that strace holds for 3 s) killed pinctl and left the temporary in
    /// the collector's directory. Now the signal waits for the rename, then ends pinctl.
    @Test(
        .enabled(if: straceTraces, "strace is missing or may not trace here: scripts/check/install-deps.sh installs it"),
        arguments: [SIGTERM, SIGINT, SIGHUP])
    func terminationSignalDuringTheWriteLeavesNoTemporary(_ sig: Int32) throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // env --default-signal: the test runner's children start with these signals blocked.
        let command = try RunningCommand([
            "/usr/bin/env", "--default-signal", strace!, "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e",
            "inject=fsync:delay_enter=3000000",
            builtBinary("pinctl"), "census", "--json", "--output", dir + "/census.json",
        ])
        // The temporary's name carries pinctl's pid (".census.json.tmp-PID-RANDOM").
        var pid: Int32?
        for _ in 0..<6000 where pid == nil {
            if let temp = entries(dir).first(where: { $0.hasPrefix(".census.json.tmp-") }) {
                pid = Int32(temp.dropFirst(".census.json.tmp-".count).split(separator: "-").first ?? "")
            } else {
                usleep(5_000)
            }
        }
        let target = try #require(pid, "no temporary appeared: \(entries(dir))")
        kill(target, sig)
        let r = command.finish()
        #expect(!r.timedOut)
        // strace ends as its tracee did: by the signal, once the rename is done.
        #expect(r.status == sig, "\(r.status) \(r.stderr)")
        #expect(!entries(dir).contains { $0.contains(".tmp-") }, "left behind: \(entries(dir))")
        // What was renamed is whole.
        if entries(dir).contains("census.json") {
            #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/census.json"))) is [String: Any])
        }
    }

    // MARK: stdout that cannot be written

    /// Before: these printed into a full disk or a closed stdout and exited 0, as if the
    /// report had been delivered.
    @Test(arguments: [
        ["census"], ["census", "--json"], ["census", "--openmetrics"], ["census", "--watch", "100ms", "--count", "2"],
        ["flags", "0x1234"], ["flags", "--json", "lru,anon"], ["module", "status"], ["module", "status", "--json"],
        ["maps", "self"], ["pin", "--dry-run", "anon:8K"],
    ])
    func reportThatCannotReachStdoutIsAFailure(_ args: [String]) throws {
        for redirect in [">/dev/full", ">&-"] {
            let r = try run(["/bin/sh", "-c", "exec \"$0\" \"$@\" \(redirect)", builtBinary("pinctl")] + args)
            expectOneLineError(r, status: ExitStatus.failure, mentions: "standard output")
        }
    }

    /// Runs pinctl with stdout on a non-blocking pipe of one page that is read only once it
    /// is full (or pinctl has exited): every write past the first page meets EAGAIN.
    static func runIntoFullNonBlockingPipe(_ args: [String]) throws -> (status: Int32, stdout: [UInt8]) {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        // F_SETPIPE_SZ (1031; Glibc's module leaves the _GNU_SOURCE names out): one page.
        try #require(fcntl(fds[1], 1031, 4096) > 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Signals as a shell would leave them, not as the test process has them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var every = sigset_t()
        sigfillset(&every)
        posix_spawnattr_setsigdefault(&attributes, &every)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = [builtBinary("pinctl")] + args
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cargs, environ)
        guard rc == 0 else {
            close(fds[1])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
        }
        var status: Int32 = 0
        var exited = false
        // Until the pipe takes no more (our copy of the write end says so) or pinctl is done.
        while !exited {
            exited = waitpid(pid, &status, WNOHANG) == pid
            var writable = pollfd(fd: fds[1], events: Int16(POLLOUT), revents: 0)
            if poll(&writable, 1, 0) == 0 { break }
            if !exited { usleep(1000) }
        }
        close(fds[1])
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n > 0 {
                out += chunk[0..<n]
            } else if n == 0 {
                break
            } else if errno == EAGAIN {
                var p = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, 1000)
            } else if errno != EINTR {
                break
            }
        }
        if !exited { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), out)
    }

    /// Before: a stdout whose open file was O_NONBLOCK (a pipe the reader made non-blocking,
    /// which its writer shares) ended the streamed report at the first full pipe: exit 1,
    /// EAGAIN, the buffer dropped mid-line and the JSON document cut where it was.
    @Test(arguments: [
        ["maps", "--json", "self"], ["maps", "self"], ["inspect", "--json", "self", "[stack]"],
        ["inspect", "--json-lines", "--pages", "--no-collapse", "self", "[stack]"],
    ])
    func streamedReportToANonBlockingPipeArrivesWhole(_ args: [String]) throws {
        let r = try Self.runIntoFullNonBlockingPipe(args)
        #expect(r.status == 0)
        try #require(r.stdout.count > 4096, "the report fits in the pipe: the test proves nothing")
        #expect(r.stdout.last == 0x0a)
        if args.contains("--json") {
            #expect(try JSONSerialization.jsonObject(with: Data(r.stdout)) is [String: Any])
        } else if args.contains("--json-lines") {
            for line in r.stdout.split(separator: 0x0a) {
                #expect(try JSONSerialization.jsonObject(with: Data(line)) is [String: Any])
            }
        } else {
            let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n")
            #expect(lines.last?.hasSuffix("[vsyscall]") == true || lines.last?.hasSuffix("[stack]") == true, "\(lines.last ?? "")")
        }
    }

    // MARK: errors quote the input escaped, once

    static let hostile = "\u{1b}[2J\u{9b}\u{202e}x"

    /// Before: ArgumentParser's usage message (exit 64) quoted the argument raw: ESC and CSI
    /// reached root's terminal.
    @Test(arguments: [
        ["census", "--watch", hostile], ["files", "-m", hostile, "/tmp"], ["census", "--count", hostile],
        ["phys", "0x1000", "--" + hostile], ["flags", "lru", "--bogus" + hostile],
    ])
    func usageErrorsEscapeTheArguments(_ args: [String]) throws {
        let r = try pinctl(args)
        #expect(r.status == ExitStatus.usage, "\(r.stderr)")
        expectNoRawControls(r.stderr)
        #expect(r.stderr.contains(TerminalEscaping.escape(Self.hostile)), "\(r.stderr.debugDescription)")
        let j = try pinctl(args + ["--json"])
        expectNoRawControls(j.stderr)
    }

    /// Before: phys, flags and --cgroup escaped the input in the message and the error
    /// line escaped it again: '\\x1b[2J', which names no input.
    @Test(arguments: [
        (["phys", hostile], "phys target '\(TerminalEscaping.escape(hostile))'"),
        (["phys", "0x1000+" + hostile], "'\(TerminalEscaping.escape(hostile))' is not a number"),
        (["phys", "0x1000", "--flags", hostile], "--flags \(TerminalEscaping.escape(hostile)):"),
        (["phys", "0x1000", "--flags", "lru," + hostile], "--flags lru,\(TerminalEscaping.escape(hostile)):"),
        (["phys", "0x1000", "--cgroup", "/tmp/" + hostile], "--cgroup /tmp/\(TerminalEscaping.escape(hostile)):"),
        (["phys", "0x1000", "--cgroup", "@" + hostile], "--cgroup '@\(TerminalEscaping.escape(hostile))'"),
        (["flags", hostile], "flags \(TerminalEscaping.escape(hostile)):"),
        (["census", "--deep", "--flags", hostile], "--flags \(TerminalEscaping.escape(hostile)):"),
    ])
    func errorsQuoteTheInputEscapedOnce(_ args: [String], _ quoted: String) throws {
        let r = try pinctl(args)
        expectOneLineError(r, status: ExitStatus.invalidInput, mentions: quoted)
        #expect(!r.stderr.contains("\\\\"), "escaped twice: \(r.stderr)")
    }

    /// Before: a size with a space or tab around it was read as the number (`files -m ' 5'`
    /// skipped files above 5 bytes, `pin 'anon: 4M'` pinned 4 MiB), where any other stray
    /// character is refused. Now a usage error for -m (exit 64), a range error for pin and
    /// inspect (exit 2).
    @Test(arguments: [
        (["files", "-m", " 5", "/dev/null"], ExitStatus.usage, "-m ' 5' is not a size"),
        (["files", "-m", "5 ", "/dev/null"], ExitStatus.usage, "-m '5 ' is not a size"),
        (["files", "--max-size", "\t64K", "/dev/null"], ExitStatus.usage, "is not a size"),
        (["pin", "--dry-run", "anon: 4M"], ExitStatus.invalidInput, "is not a size"),
        (["pin", "--dry-run", "memfd:4M\t"], ExitStatus.invalidInput, "is not a size"),
        (["inspect", "self", "0x1000+ 4K"], ExitStatus.invalidInput, "is not a size"),
    ])
    func sizesWithSpacesAreRefused(_ args: [String], _ status: Int32, _ mentions: String) throws {
        let r = try pinctl(args)
        #expect(r.status == status, "\(args): exit \(r.status), \(r.stderr)")
        #expect(r.stderr.contains(mentions), "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
    }

    /// Before: `pinctl flags bogus` answered "--flags bogus: ...", an option the user never
    /// typed (the message came from --flags' parser). Each names its input as typed.
    @Test(arguments: [
        (["flags", "bogus"], "pinctl: flags bogus: 'bogus' is not a page flag"),
        (["flags", "lru,zzz"], "pinctl: flags lru,zzz: 'zzz' is not a page flag"),
        (["phys", "0x1000", "--flags", "bogus"], "pinctl: --flags bogus: 'bogus' is not a page flag"),
        (["census", "--deep", "--flags", "lru,bogus"], "pinctl: --flags lru,bogus: 'bogus' is not a page flag"),
    ])
    func flagErrorsNameTheArgumentAsTyped(_ args: [String], _ line: String) throws {
        let r = try pinctl(args)
        expectOneLineError(r, status: ExitStatus.invalidInput, mentions: line)
        if args[0] == "flags" { #expect(!r.stderr.contains("--flags"), "\(r.stderr)") }
    }

    /// Before: pin's range errors wrote their advice with backslashes (`\+ \@ \\` in PATH),
    /// which the error line's escaping doubled: the user read two and typed two.
    @Test(arguments: ["", "file:/tmp/a\\x", "file:/tmp/a\\", "bogus:1"])
    func pinRangeErrorsGiveAdviceThatReadsAsTyped(_ spec: String) throws {
        let quoted = "'\(TerminalEscaping.escape(spec))'"
        let r = try pinctl(["pin", "--dry-run", spec])
        expectOneLineError(r, status: ExitStatus.invalidInput, mentions: quoted)
        #expect(!r.stderr.replacingOccurrences(of: quoted, with: "").contains("\\"), "\(r.stderr)")
    }

    // MARK: files

    /// Before: a count as wide as its column ran into the column before it: the 2^31 pages
    /// of an 8 TiB sparse file printed as "        02147483648" (CACHED 0, PAGES 2147483648);
    /// and the largest file tmpfs allows (2^63-1 bytes) had a SIZE of "8388607.9 TiB", wider
    /// than its column.
    @Test(arguments: [(Int64(1) << 43, "8 TiB"), (Int64.max, "7.9 EiB")])
    func filesColumnsStaySeparateForAHugeSparseFile(_ size: Int64, _ shown: String) throws {
        let path = "/dev/shm/pinctl-sparse-\(getpid())-\(size)"
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        try #require(fd >= 0, "cannot create \(path)")
        defer { unlink(path) }
        let sized = ftruncate(fd, off_t(size)) == 0
        close(fd)
        try #require(sized, "tmpfs refused a \(shown) sparse file")
        let pages = String((UInt64(size) + 4095) >> 12)
        for evict in [false, true] {
            let r = try pinctl(["files"] + (evict ? ["--evict"] : []) + [path])
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            let columns = lines.count > 1 ? lines[1].split(separator: " ").map(String.init) : []
            // [BEFORE] CACHED PAGES PERCENT DIRTY WRITEBACK EVICTED RECENT SIZE (2 words) FILE
            let cached = evict ? 1 : 0
            #expect(columns.count == cached + 10, "\(lines)")
            #expect(columns.count > cached + 1 && columns[cached] == "0" && columns[cached + 1] == pages, "\(lines)")
            #expect(lines.count > 1 && lines[1].contains(" \(shown)  /dev/shm/"), "\(lines)")
        }
    }

    /// Before: the walk recursed once per level up to 1024 levels, and a tree about 900
    /// deep (any user can make one in /tmp) overflowed the 8 MiB stack: SIGSEGV, exit 139,
    /// for `files` and for `pin file:DIR`. Now the depth fits the stack and the deeper
    /// directory is one line: exit 9, for `files` and for a pin (which holds nothing), or
    /// with --skip-failed the pin of what the walk reached.
    @Test func treeDeeperThanTheStackHoldsIsOneLineNotACrash() throws {
        let dir = try tempDir("hostile-output")
        defer { _ = try? run(["/bin/rm", "-rf", dir]) }
        try "top".write(toFile: dir + "/top", atomically: false, encoding: .utf8)
        var fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        for _ in 0..<1100 {
            #expect(mkdirat(fd, "d", 0o755) == 0)
            let next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            close(fd)
            fd = next
        }
        let file = openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
        close(file)
        close(fd)
        let r = try pinctl(["files", "-s", dir])
        expectOneLineError(r, status: ExitStatus.incomplete, mentions: "nested deeper than \(TreeWalker.maxDepth) directories")
        #expect(r.stdout.contains("1 file,") && r.stdout.contains("could not examine: 1"), "\(r.stdout)")
        // pin names the rest and holds nothing; with --skip-failed it locks what the walk
        // reached (the top file).
        let all = try pinctl(["pin", "--for", "0.1s", "file:" + dir])
        #expect(all.status == ExitStatus.incomplete && all.stdout.isEmpty, "\(all.status) \(all.stderr.prefix(300))")
        #expect(all.stderr.contains("nested deeper than \(TreeWalker.maxDepth) directories"), "\(all.stderr.prefix(300))")
        let p = try pinctl(["pin", "--skip-failed", "--for", "0.1s", "file:" + dir])
        #expect(p.status == 0, "\(p.status) \(p.stderr.prefix(300))")
        #expect(p.stderr.contains("nested deeper than \(TreeWalker.maxDepth) directories"), "\(p.stderr.prefix(300))")
    }

    // MARK: census --watch

    /// Before: a watch ended by SIGUSR1 or SIGQUIT exited 0, as if asked to stop, where a
    /// pin hold exits 128+N; SIGINT, SIGTERM and SIGHUP stay 0.
    @Test(arguments: [(SIGUSR1, 128 + SIGUSR1), (SIGQUIT, 128 + SIGQUIT), (SIGTERM, 0), (SIGHUP, 0)] as [(Int32, Int32)])
    func watchEndedByASignalExitsAsAHoldDoes(_ sig: Int32, _ status: Int32) throws {
        let command = try RunningCommand([builtBinary("pinctl"), "census", "--watch", "100ms", "--count", "100000"])
        // The first census is on stdout once the watch waits for its signal.
        usleep(1_500_000)
        kill(command.process.processIdentifier, sig)
        let r = command.finish(limit: 60)
        #expect(!r.timedOut && r.status == status, "\(r.status) \(r.stderr)")
        #expect(r.stdout.contains("census  kernel"))
        if status != 0 {
            expectOneLineError(r, status: status, mentions: "ended by \(TerminationSignals.name(sig))")
        } else {
            #expect(r.stderr.isEmpty, "\(r.stderr)")
        }
    }

    /// Before: `census --watch ... | head -1` exited 0 once head had gone; now 141, as
    /// pin's hold and every program SIGPIPE ends.
    @Test func watchIntoAPipeWhoseReaderLeftExits141() throws {
        let r = try run(
            [
                "/bin/bash", "-c", "\"$0\" census --watch 100ms --count 100000 | head -c 1 >/dev/null; exit ${PIPESTATUS[0]}",
                builtBinary("pinctl"),
            ], limit: 60)
        #expect(!r.timedOut && r.status == 128 + SIGPIPE, "\(r.status) \(r.stderr)")
    }

    // MARK: closed standard descriptors

    /// Before: started with stdout and stderr closed, the pidfile took descriptor 2 and the
    /// hold's "holding pid N" line was written into it ("N\nholding pid N for 2.0 s").
    @Test func closedStdoutAndStderrDoNotLandInThePidfile() throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pidfile = dir + "/pin.pid"
        let command = try RunningCommand([
            "/bin/sh", "-c", "exec \"$0\" \"$@\" >&- 2>&-", builtBinary("pinctl"), "pin", "--for", "3s", "--pidfile", pidfile,
            "anon:64K",
        ])
        var text = ""
        for _ in 0..<1000 where text.isEmpty || !text.hasSuffix("\n") {
            usleep(10_000)
            text = (try? String(contentsOfFile: pidfile, encoding: .utf8)) ?? ""
        }
        // Through the hold: once the report and "holding" line would have been written.
        usleep(1_000_000)
        text = (try? String(contentsOfFile: pidfile, encoding: .utf8)) ?? ""
        let r = command.finish(limit: 60)
        #expect(text == "\(command.process.processIdentifier)\n", "pidfile: \(text.debugDescription)")
        // The report reached no stdout: a failure, as with stdout closed alone.
        #expect(r.status == ExitStatus.failure, "\(r.status)")
    }

    // MARK: module load PATH

    /// What `module load PATH` is given, and how it must answer before any load is tried.
    enum ModuleFile: String, CaseIterable {
        case fifo, directory, characterDevice, socket, ownedByNobody, worldWritable, groupWritable, linkToNobodysFile, rootsOwn

        /// Makes it at `path`; the exit status and the words the one line must hold.
        func make(_ path: String) throws -> (status: Int32, mentions: String) {
            let module = Data("\u{7f}ELF not really a module".utf8)
            switch self {
            case .fifo: _ = Planted.fifo.make(path)
            case .directory: _ = Planted.directory.make(path)
            case .characterDevice: _ = Planted.characterDevice.make(path)
            case .socket: _ = Planted.socket.make(path)
            case .ownedByNobody, .worldWritable, .groupWritable, .rootsOwn:
                try module.write(to: URL(fileURLWithPath: path))
                let mode: mode_t = self == .worldWritable ? 0o666 : self == .groupWritable ? 0o664 : 0o644
                #expect(chmod(path, mode) == 0)
                if self == .ownedByNobody { #expect(chown(path, 65534, 65534) == 0) }
            case .linkToNobodysFile:
                try module.write(to: URL(fileURLWithPath: path + ".real"))
                #expect(chown(path + ".real", 65534, 65534) == 0 && symlink(path + ".real", path) == 0)
            }
            switch self {
            case .fifo: return (ExitStatus.invalidInput, "it is a FIFO, not a module file")
            case .directory: return (ExitStatus.invalidInput, "it is a directory, not a module file")
            case .characterDevice: return (ExitStatus.invalidInput, "it is a character device, not a module file")
            case .socket: return (ExitStatus.invalidInput, "it is a socket, not a module file")
            case .ownedByNobody, .linkToNobodysFile: return (ExitStatus.permissionDenied, "it belongs to uid 65534")
            case .worldWritable:
                return (ExitStatus.permissionDenied, "writable by every user (mode 666): make it writable by its owner only")
            case .groupWritable: return (ExitStatus.permissionDenied, "writable by group 0 (mode 664)")
            // Checked and passed on: this host has no module support, a kernel with it refuses
            // the bytes (ENOEXEC). Either way the load was tried and refused, exit 8.
            case .rootsOwn: return (ExitStatus.refused, "pinctl: ")
            }
        }
    }

    /// Before: the file was opened without O_NONBLOCK (a FIFO held root in open(2) for
    /// good, in the VM) and loaded whoever owned it and whoever could write it: root ran
    /// another user's code in the kernel. Now the descriptor is checked before any load
    /// (regular, root's or the caller's, not group- or world-writable) and one line names
    /// the path and the fix. On this host (no module support) every row was exit 8 before.
    @Test(arguments: ModuleFile.allCases)
    func moduleLoadRefusesAFileRootShouldNotLoad(_ kind: ModuleFile) throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/pinctl.ko"
        let (status, mentions) = try kind.make(path)
        let r = try pinctl(["module", "load", path], limit: 30)
        expectOneLineError(r, status: status, mentions: mentions)
        if kind != .rootsOwn { #expect(r.stderr.contains("module load '\(path)'"), "\(r.stderr)") }
    }

    // MARK: one file, two ranges of one pin

    /// A tree D (D/top 512 KiB, D/sub/f 1 MiB) and D2/g, a hard link of D/sub/f; ranges
    /// relative to the test's directory, and what the whole pin locks (nil: refused, exit 2).
    static let overlapping: [([String], UInt64?)] = [
        (["file:D", "file:D/sub"], 1536 << 10),
        (["file:D/sub", "file:D"], 1536 << 10),
        (["file:D", "file:D"], 1536 << 10),
        (["file:D/sub", "file:D2"], 1 << 20),
        (["file:D/sub/f", "file:D"], 1536 << 10),
        (["file:D/sub/f@0+4K", "file:D/sub/f@8K+4K"], 8 << 10),
        (["file:D/sub/f", "file:D/sub/f"], nil),
        (["file:D", "file:D/top"], nil),
        (["file:D/sub", "file:D2/g@4K+4K"], nil),
        (["file:D/sub/f@4K+4K", "file:D2/g"], nil),
    ]

    /// Before: `pin file:D file:D/sub` locked D/sub's files twice (two mappings, both
    /// mlocked) and reported 2.5 MiB for 1.5 MiB of files; the memory preflight counted them
    /// twice too. Each file is now locked and counted once per pin: a tree leaves out files
    /// an earlier range took, and a file: range of a file already taken is refused. (vmtouch
    /// -l enters a directory once but locks a one-link file once per name.) Run as nobody
    /// under a 2 MiB RLIMIT_MEMLOCK, where twice the files does not fit: that failed before.
    @Test(arguments: overlapping)
    func eachFileIsLockedAndCountedOncePerPin(_ ranges: [String], _ locked: UInt64?) throws {
        let dir = try tempDir("hostile-output")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/D/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/D2", withIntermediateDirectories: true)
        try Data(repeating: 0x5a, count: 512 << 10).write(to: URL(fileURLWithPath: dir + "/D/top"))
        try Data(repeating: 0xa5, count: 1 << 20).write(to: URL(fileURLWithPath: dir + "/D/sub/f"))
        #expect(link(dir + "/D/sub/f", dir + "/D2/g") == 0)
        for d in [dir, dir + "/D", dir + "/D/sub", dir + "/D2"] { #expect(chmod(d, 0o755) == 0) }
        let r = try pinctl(
            ["pin", "--for", "0", "--json"] + ranges.map { "file:" + dir + "/" + $0.dropFirst(5) },
            as: ["/usr/bin/prlimit", "--memlock=\(2 << 20):\(2 << 20)"] + nobody)
        guard let locked else {
            #expect(r.status == ExitStatus.invalidInput, "\(ranges): exit \(r.status), \(r.stderr)")
            #expect(r.stderr.contains("an earlier range of this pin already locks that file"), "\(ranges): \(r.stderr)")
            return
        }
        #expect(r.status == 0, "\(ranges): exit \(r.status), \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        #expect(json["bytes"] as? UInt64 == locked, "\(ranges): \(json["bytes"] ?? "-")")
        #expect(json["pages"] as? UInt64 == locked >> 12, "\(ranges)")
    }
}

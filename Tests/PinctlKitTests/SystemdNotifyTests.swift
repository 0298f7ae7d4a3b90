import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// What systemd would be: an AF_UNIX datagram socket bound at a path or an abstract name,
/// read with a time limit.
final class NotifyReceiver {
    let fd: Int32
    /// The value for NOTIFY_SOCKET.
    let address: String
    private let path: String?

    /// Binds at `path`, or at the abstract `name` when `path` is nil.
    init(path: String?, abstractName: String = "") throws {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8] = path.map { Array($0.utf8) } ?? [0] + Array(abstractName.utf8)
        guard bytes.count <= MemoryLayout.size(ofValue: sa.sun_path) - (path == nil ? 0 : 1) else { throw Failure("address too long") }
        withUnsafeMutableBytes(of: &sa.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (path == nil ? 0 : 1))
        let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw Failure("bind \(path ?? "@" + abstractName): errno \(e)")
        }
        self.fd = fd
        self.path = path
        address = path ?? "@" + abstractName
    }

    /// The next datagram's assignments in order, or nil when none came within `seconds`.
    func receive(within seconds: Int32) -> [(key: String, value: String)]? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, seconds * 1000) == 1 else { return nil }
        return receiveNow()
    }

    /// A datagram already queued, without waiting.
    func receiveNow() -> [(key: String, value: String)]? {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n >= 0 else { return nil }
        return String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n").map { line in
            let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

func value(_ key: String, in message: [(key: String, value: String)]) -> String? {
    message.first { $0.key == key }?.value
}

/// `$NOTIFY_SOCKET` parsed by systemd's rules, and the datagram's limits.
struct SystemdNotifierParsingTests {
    static let sunPath = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    @Test func absolutePathsAndAbstractNamesAreAddresses() {
        #expect(SystemdNotifier.parse(Array("/run/systemd/notify".utf8)) == .success(.path(Array("/run/systemd/notify".utf8))))
        #expect(SystemdNotifier.parse(Array("@pinctl/notify".utf8)) == .success(.abstract(Array("pinctl/notify".utf8))))
        // Bytes that are not UTF-8 are kept as they are: a repaired path names another socket.
        let raw: [UInt8] = Array("/tmp/".utf8) + [0xff, 0xfe]
        #expect(SystemdNotifier.parse(raw) == .success(.path(raw)))
    }

    @Test func relativePathsVsockAndABareAtAreRefused() {
        #expect(SystemdNotifier.parse(Array("notify.sock".utf8)) == .failure(.relative))
        #expect(SystemdNotifier.parse(Array("./notify.sock".utf8)) == .failure(.relative))
        #expect(SystemdNotifier.parse(Array("vsock:2:1234".utf8)) == .failure(.vsock))
        #expect(SystemdNotifier.parse(Array("@".utf8)) == .failure(.emptyAbstractName))
        #expect(SystemdNotifier.parse([]) == .failure(.relative))
    }

    /// sun_path is 108 bytes: a path keeps one for its NUL, an abstract name one for the
    /// leading NUL. One byte more is refused, never cut to another address.
    @Test func addressesLongerThanSunPathAreRefusedNotTruncated() {
        let longest = "/" + String(repeating: "p", count: Self.sunPath - 2)
        #expect(SystemdNotifier.parse(Array(longest.utf8)) == .success(.path(Array(longest.utf8))))
        #expect(SystemdNotifier.parse(Array((longest + "p").utf8)) == .failure(.tooLong(bytes: Self.sunPath)))
        let longestName = String(repeating: "a", count: Self.sunPath - 1)
        #expect(SystemdNotifier.parse(Array(("@" + longestName).utf8)) == .success(.abstract(Array(longestName.utf8))))
        #expect(SystemdNotifier.parse(Array(("@" + longestName + "a").utf8)) == .failure(.tooLong(bytes: Self.sunPath + 1)))
    }

    /// systemd drops a notification longer than PIPE_BUF whole; a newline in STATUS would
    /// start another assignment (a path can hold "\nREADY=1").
    @Test func statusIsOneEscapedLineAndTheDatagramFitsSystemdsBuffer() {
        let hostile = "file:/srv/a\nREADY=1\nMAINPID=1 " + String(repeating: "é", count: 5000)
        let m = SystemdNotifier.message(stopping: true, status: hostile)
        #expect(m.count <= SystemdNotifier.maxMessageBytes)
        let lines = String(decoding: m, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2, "\(lines.prefix(3))")
        #expect(lines[0] == "STOPPING=1")
        #expect(lines[1].hasPrefix("STATUS=file:/srv/a\\x0aREADY=1\\x0aMAINPID=1 é") && lines[1].hasSuffix("é..."))
        #expect(lines[1].utf8.count <= "STATUS=".utf8.count + SystemdNotifier.maxStatusBytes)
        let ready = String(decoding: SystemdNotifier.message(ready: true, mainPID: 42, status: "holding anon:1 MiB"), as: UTF8.self)
        #expect(ready == "READY=1\nMAINPID=42\nSTATUS=holding anon:1 MiB\n")
    }
}

@Suite(
    .enabled(if: isRoot, "live notify tests mlock more than the default RLIMIT_MEMLOCK"),
    .needsBuiltPinctl)
struct SystemdNotifyLiveTests {
    /// A socket at a path exactly as long as sun_path allows (107 bytes), and one in the
    /// abstract namespace.
    static func receiver(_ kind: String) throws -> (NotifyReceiver, String?) {
        let tag = "\(getpid())-\(UUID().uuidString.prefix(8))"
        if kind == "abstract" { return (try NotifyReceiver(path: nil, abstractName: "pinctl-test-\(tag)"), nil) }
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-notify-XXXXXX"))
        let room = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1 - dir.utf8.count - 1
        return (try NotifyReceiver(path: dir + "/" + String(repeating: "n", count: room)), dir)
    }

    /// READY=1 comes once the pin and --verify are done: the holder's VmLck, read from
    /// /proc/PID/status when the datagram arrives, already has all 64 MiB, and STATUS
    /// carries --verify's counts. STOPPING=1 comes when the hold ends (SIGTERM, or --for
    /// running out), then pinctl releases and exits 0; nothing else is sent.
    @Test(arguments: ["abstract", "path"])
    func readyArrivesWithThePinInPlaceAndStoppingAtRelease(_ kind: String) throws {
        let (rx, dir) = try Self.receiver(kind)
        // The whole directory: the socket is still in it here (rx is released after this runs).
        defer { if let dir { _ = try? FileManager.default.removeItem(atPath: dir) } }
        #expect(kind != "path" || rx.address.utf8.count == MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1)
        // The abstract run holds until SIGTERM, the path run until --for runs out.
        let hold = kind == "abstract" ? "10m" : "10s"
        let cmd = try RunningCommand(
            [builtBinary("pinctl"), "pin", "--method", "mlock", "--verify", "--for", hold, "anon:64M"],
            environment: ["NOTIFY_SOCKET": rx.address])
        let pid = cmd.process.processIdentifier
        // A slow start (a sanitized build, a loaded machine) may extend its timeout first.
        var ready = rx.receive(within: 240)
        while let m = ready, m.first?.key == "EXTEND_TIMEOUT_USEC" { ready = rx.receive(within: 240) }
        let vmLck = statusField(pid, "VmLck")
        guard let message = ready else {
            let r = cmd.finish(limit: 5)
            Issue.record("no datagram within 240 s: exit \(r.status), \(r.stderr)")
            return
        }
        #expect(vmLck == 64 << 20, "VmLck when READY=1 arrived: \(vmLck.map(String.init) ?? "no /proc/\(pid)")")
        #expect(message.first?.key == "READY" && message.first?.value == "1", "\(message)")
        #expect(value("MAINPID", in: message) == "\(pid)")
        let status = try #require(value("STATUS", in: message))
        #expect(
            status.hasPrefix("holding anon:64 MiB by mlock: 16384 pages (64 MiB), resident 16384, pinned 16384, VmLck 64 MiB"), "\(status)")
        #expect(status.contains("; verify: held "), "STATUS is written after --verify: \(status)")
        if kind == "abstract" { kill(pid, SIGTERM) }
        let stopping = try #require(rx.receive(within: 120), "no STOPPING=1")
        #expect(stopping.first?.key == "STOPPING" && stopping.first?.value == "1", "\(stopping)")
        let why = kind == "abstract" ? "SIGTERM" : "hold time over"
        #expect(value("STATUS", in: stopping) == "releasing anon:64 MiB (\(why))")
        let r = cmd.finish(limit: 120)
        #expect(r.status == 0 && !r.timedOut, "\(r.stderr)")
        #expect(r.stderr.contains("released anon:64 MiB (\(why))"), "\(r.stderr)")
        #expect(!r.stderr.contains("NOTIFY_SOCKET"), "\(r.stderr)")
        #expect(rx.receiveNow() == nil, "a third datagram")
    }

    /// While the pin works (here mlock faulting in and zeroing 1 GiB of 4K pages, then
    /// --verify), each interval with progress sends EXTEND_TIMEOUT_USEC (10 s at least) and a
    /// STATUS saying how far it got; READY=1 ends them, and nothing but STOPPING=1 follows.
    @Test func startTimeoutIsExtendedWhileThePinWorksAndNotAfterReady() throws {
        let rx = try NotifyReceiver(path: nil, abstractName: "pinctl-test-extend-\(getpid())-\(UUID().uuidString.prefix(8))")
        let cmd = try RunningCommand(
            [
                builtBinary("pinctl"), "pin", "--method", "mlock", "--write", "--verify", "--extend-interval", "0.05", "--for", "0",
                "anon:1G,nothp",
            ],
            environment: ["NOTIFY_SOCKET": rx.address])
        var extensions: [[(key: String, value: String)]] = []
        var ready: [(key: String, value: String)]?
        while let m = rx.receive(within: 240) {
            if m.first?.key == "EXTEND_TIMEOUT_USEC" { extensions.append(m) } else { ready = m; break }
        }
        #expect(ready?.first?.key == "READY", "\(ready.map { "\($0)" } ?? "no READY=1")")
        #expect(!extensions.isEmpty, "no EXTEND_TIMEOUT_USEC while 1 GiB was locked and verified")
        for m in extensions {
            #expect(m.count == 2 && m[0].value == "10000000", "\(m)")
            let status = value("STATUS", in: m) ?? ""
            #expect(
                status.hasPrefix("pinning anon:1G,nothp: ") && status.contains(" resident, ") && status.hasSuffix(" s CPU"), "\(status)")
        }
        let stopping = try #require(rx.receive(within: 120), "no STOPPING=1")
        #expect(stopping.first?.key == "STOPPING", "\(stopping)")
        let r = cmd.finish(limit: 120)
        #expect(r.status == 0 && !r.timedOut, "\(r.stderr)")
        #expect(rx.receiveNow() == nil, "a datagram after STOPPING=1")
    }

    /// A pin that waits without working (for a cgroup's pin lock another process holds)
    /// sends no extension, so systemd's own timeout still ends a start that hangs; once the
    /// lock is free the pin goes ahead and READY=1 comes.
    @Test(.needsMemoryCgroup, .unsanitizedInSmallCgroup)
    func aPinThatOnlyWaitsDoesNotExtendItsStartTimeout() throws {
        let cg = try HostilePinInputTests.cgroup256M()
        defer { cg.remove() }
        let lock = try HostilePinInputTests.holdPinLock(of: cg)
        defer { close(lock) }
        let rx = try NotifyReceiver(path: nil, abstractName: "pinctl-test-wait-\(getpid())-\(UUID().uuidString.prefix(8))")
        let cmd = try RunningCommand(
            cg.launcher + [
                builtBinary("pinctl"), "pin", "--method", "mlock", "--write", "--extend-interval", "0.1", "--for", "0", "anon:16M",
            ],
            environment: ["NOTIFY_SOCKET": rx.address])
        // Starting up (parsing, the memory check) is work, which may send extensions: the
        // window opens once pinctl's main thread sleeps in the lock's wait, however long a
        // loaded host takes to get there, and the extender has had five intervals to
        // account for that work; what it sent until then is drained.
        #expect(
            Self.sleepsInTheLockWait(cmd.process.processIdentifier, within: 60),
            "pinctl never reached the pin lock's wait")
        usleep(500_000)
        while rx.receiveNow() != nil {}
        usleep(1_500_000)
        var during: [String] = []
        while let m = rx.receiveNow() { during.append("\(m)") }
        #expect(during.isEmpty, "sent while only waiting for the lock: \(during)")
        flock(lock, LOCK_UN)
        var ready: [(key: String, value: String)]?
        while let m = rx.receive(within: 60) {
            if m.first?.key != "EXTEND_TIMEOUT_USEC" { ready = m; break }
        }
        #expect(ready?.first?.key == "READY", "\(ready.map { "\($0)" } ?? "no READY=1")")
        let r = cmd.finish(limit: 60)
        #expect(r.status == 0 && !r.timedOut, "\(r.stderr)")
    }

    /// Whether pinctl (pid, after its launcher's exec) is asleep in a system call of the
    /// lock's polling wait (clock_nanosleep, or nanosleep) within `seconds`: the main
    /// thread's /proc/PID/syscall, seen twice 10 ms apart.
    static func sleepsInTheLockWait(_ pid: Int32, within seconds: Double) -> Bool {
        func sleeping() -> Bool {
            guard (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "pinctl\n",
                let call = try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8)
            else { return false }
            let number = call.split(separator: " ").first
            return number == "230" || number == "35"
        }
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if sleeping() {
                usleep(10_000)
                if sleeping() { return true }
            }
            usleep(10_000)
        }
        return false
    }

    /// What a hostile or mistaken NOTIFY_SOCKET can name. None may block pinctl (a FIFO
    /// opened for writing would wait for a reader; a full receiver queue would wait for
    /// room), fail the pin, or print more than one line about it.
    @Test(arguments: [
        "too long path", "too long abstract", "relative", "vsock", "nonexistent", "fifo", "link to fifo", "regular file",
        "directory", "stream socket", "full queue", "control characters",
    ])
    func badNotifySocketIsOneWarningAndThePinHolds(_ kind: String) throws {
        let dir = try #require(makeTemporaryDirectory("/tmp/pinctl-notify-XXXXXX"))
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        var keep: [AnyObject] = []
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        let value: String
        switch kind {
        case "too long path": value = dir + "/" + String(repeating: "x", count: 200)
        case "too long abstract": value = "@" + String(repeating: "x", count: 200)
        case "relative": value = "notify.sock"
        case "vsock": value = "vsock:2:9999"
        case "nonexistent": value = dir + "/nothing/here"
        case "fifo", "link to fifo":
            #expect(mkfifo(dir + "/fifo", 0o666) == 0)
            #expect(symlink(dir + "/fifo", dir + "/link") == 0)
            value = dir + (kind == "fifo" ? "/fifo" : "/link")
        case "regular file":
            #expect(FileManager.default.createFile(atPath: dir + "/file", contents: Data("x".utf8)))
            value = dir + "/file"
        case "directory": value = dir
        case "stream socket":
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var sa = sockaddr_un()
            sa.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &sa.sun_path) { $0.copyBytes(from: Array((dir + "/stream").utf8)) }
            let ok = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            #expect(ok == 0 && listen(fd, 1) == 0)
            fds.append(fd)
            value = dir + "/stream"
        case "full queue":
            let rx = try NotifyReceiver(path: dir + "/full")
            keep.append(rx)
            #expect(Self.fill(rx.address), "the receiver's queue never filled")
            value = rx.address
        default:
            value = dir + "/\u{1b}[31mred\u{7}"
        }
        let r = try pinctl(["pin", "--method", "mlock", "--for", "0", "anon:1M"], limit: 60, environment: ["NOTIFY_SOCKET": value])
        #expect(!r.timedOut, "\(kind): pinctl blocked")
        #expect(r.status == 0, "\(kind): exit \(r.status): \(r.stderr)")
        #expect(r.stdout.contains("pinned anon:1 MiB by mlock"), "\(kind): \(r.stdout)")
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("NOTIFY_SOCKET") }
        #expect(warnings.count == 1, "\(kind): \(r.stderr)")
        #expect(warnings.first?.contains("the pin is unaffected") == true, "\(kind): \(r.stderr)")
        expectNoRawControls(r.stderr)
        if kind == "fifo" || kind == "link to fifo" {
            #expect(warnings.first?.contains("ECONNREFUSED") == true, "\(kind): \(r.stderr)")
        }
        if kind == "full queue" { #expect(warnings.first?.contains("EAGAIN") == true, "\(r.stderr)") }
        withExtendedLifetime(keep) {}
    }

    /// Sends to `address` from fresh sockets until the receiver's queue is full (a fresh
    /// sender's first datagram answers EAGAIN); each sender's own buffer fills sooner.
    static func fill(_ path: String) -> Bool {
        var senders: [Int32] = []
        defer { senders.forEach { close($0) } }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &sa.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let payload = [UInt8](repeating: 0x2e, count: 16)
        for _ in 0..<256 {
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            senders.append(fd)
            var sent = 0
            while true {
                let n = payload.withUnsafeBytes { m in
                    withUnsafePointer(to: &sa) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(fd, m.baseAddress, m.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                        }
                    }
                }
                if n < 0 { break }
                sent += 1
            }
            if sent == 0 && errno == EAGAIN { return true }
        }
        return false
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// sd_notify(3)'s protocol, spoken here so that libsystemd is no dependency: one datagram
/// of newline-separated `KEY=VALUE` assignments (`READY=1`, `STATUS=...`, `STOPPING=1`) sent
/// on an AF_UNIX SOCK_DGRAM socket to the address in `$NOTIFY_SOCKET`, which systemd sets
/// for a `Type=notify` service. `pinctl pin` says READY=1 once the pin (and `--verify`) is in
/// place, so `systemctl start` returns with the memory held, and STOPPING=1 as it releases.
///
/// `$NOTIFY_SOCKET` is untrusted input (sudo keeps it with `-E`; a user may set anything):
/// - Only what systemd itself accepts: an absolute path, or `@NAME` for a name in the
///   abstract namespace; a relative path, `vsock:` (newer systemd's channel out of a VM) or anything
///   else is refused. A name longer than sun_path (107 bytes after the `/` or `@` rules)
///   is refused, never truncated: a truncated path names another socket. The bytes are
///   taken as the environment holds them (no UTF-8 repair changes the address).
/// - Sending never blocks: the socket is SOCK_NONBLOCK and the send MSG_DONTWAIT (a
///   receiver that never reads fills its queue: EAGAIN). Nothing is opened: the kernel
///   resolves the path like any unix socket address (following symlinks, as connect(2) does,
///   with no O_NOFOLLOW for sockets) and delivers only to a datagram socket: a FIFO, a
///   regular file or a directory there answers ECONNREFUSED without being opened, a stream
///   socket EPROTOTYPE, a missing name ENOENT. The one wait left is the path lookup itself
///   on a file system that hangs (a dead NFS or FUSE mount), as for every path pinctl opens.
/// - MSG_NOSIGNAL: pinctl blocks SIGPIPE while pinning and holding (TerminationSignals), so
///   a SIGPIPE raised by a send would stay pending and end the hold.
/// - A socket another user planted receives what systemd would: the ready state, pinctl's
///   pid and the STATUS line (the range, which `ps` shows anyway, and the counts). Nothing
///   is read back, no credentials or descriptors are passed, and the process's state does
///   not change: the worst a planted address does is hear that the pin is ready.
/// - Delivery failure is never a pin failure: one warning line on stderr (the first failure
///   of the process; later sends are skipped), and the pin holds. The environment is left
///   as it is (sd_notify's `unset_environment` is false): pinctl starts no children.
public final class SystemdNotifier {
    /// Where `$NOTIFY_SOCKET` points.
    public enum Address: Equatable, Sendable {
        /// A file system path (bytes, without the terminating NUL).
        case path([UInt8])
        /// A name in the abstract namespace (the bytes after the `@`).
        case abstract([UInt8])
    }

    /// Why `$NOTIFY_SOCKET` names no address this process will send to.
    public enum Refusal: Error, Equatable, Sendable {
        case relative
        case vsock
        case emptyAbstractName
        case tooLong(bytes: Int)
    }

    /// systemd reads at most PIPE_BUF bytes of a notification and drops a longer one whole
    /// (manager.c, NOTIFY_BUFFER_MAX): a lost READY=1 would fail the start at its timeout.
    public static let maxMessageBytes = 4096
    /// STATUS= is cut to this many bytes (at a character boundary, then "...").
    public static let maxStatusBytes = 1024
    /// sizeof(sockaddr_un.sun_path): a path needs room for its NUL, an abstract name for
    /// the leading NUL that replaces the `@`.
    static let sunPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// `$NOTIFY_SOCKET` as given, for the warning.
    public let value: [UInt8]
    public let address: Result<Address, Refusal>
    private var warned = false

    /// nil when `$NOTIFY_SOCKET` is unset or empty (as sd_notify: not run by a supervisor).
    public static func fromEnvironment() -> SystemdNotifier? {
        guard let p = getenv("NOTIFY_SOCKET") else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        return bytes.isEmpty ? nil : SystemdNotifier(socket: bytes)
    }

    public init(socket value: [UInt8]) {
        self.value = value
        self.address = Self.parse(value)
    }

    /// The address `$NOTIFY_SOCKET` names, by systemd's rules (sockaddr_un_set_path).
    public static func parse(_ value: [UInt8]) -> Result<Address, Refusal> {
        let slash = UInt8(ascii: "/"), at = UInt8(ascii: "@")
        guard let first = value.first else { return .failure(.relative) }
        if first == at {
            let name = Array(value.dropFirst())
            if name.isEmpty { return .failure(.emptyAbstractName) }
            // The leading NUL takes the '@''s place: the name has sun_path less one byte.
            if name.count > sunPathBytes - 1 { return .failure(.tooLong(bytes: value.count)) }
            return .success(.abstract(name))
        }
        if first == slash {
            if value.count > sunPathBytes - 1 { return .failure(.tooLong(bytes: value.count)) }
            return .success(.path(value))
        }
        if value.starts(with: Array("vsock:".utf8)) { return .failure(.vsock) }
        return .failure(.relative)
    }

    /// The datagram: one `KEY=VALUE` per line. STATUS's value is escaped (a newline in a
    /// path would start another assignment) and cut to `maxStatusBytes`; the result stays
    /// under `maxMessageBytes` whatever the status.
    public static func message(ready: Bool = false, stopping: Bool = false, mainPID: Int32? = nil, status: String? = nil) -> [UInt8] {
        var lines: [String] = []
        if ready { lines.append("READY=1") }
        if stopping { lines.append("STOPPING=1") }
        if let mainPID { lines.append("MAINPID=\(mainPID)") }
        if let status { lines.append("STATUS=" + cut(TerminalEscaping.escape(status), bytes: maxStatusBytes)) }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// `text` in at most `bytes` UTF-8 bytes, cut at a character boundary with "..." when long.
    static func cut(_ text: String, bytes: Int) -> String {
        if text.utf8.count <= bytes { return text }
        var out = ""
        var used = 3
        for ch in text {
            let n = ch.utf8.count
            if used + n > bytes { break }
            out.append(ch)
            used += n
        }
        return out + "..."
    }

    /// READY=1 with MAINPID (this process) and STATUS: the pin is in place.
    /// Returns the warning line when the notification could not be sent (once).
    public func ready(status: String) -> String? {
        send(Self.message(ready: true, mainPID: getpid(), status: status), saying: "the pin is ready")
    }

    /// STOPPING=1 and STATUS: the hold is over and the pin is being released.
    public func stopping(status: String) -> String? {
        send(Self.message(stopping: true, status: status), saying: "the pin is being released")
    }

    /// Sends `message`; nil when it went, or when an earlier failure was already reported
    /// (the rest are skipped: one warning per process). Else the warning line.
    public func send(_ message: [UInt8], saying what: String) -> String? {
        if warned { return nil }
        let reason: String
        switch address {
        case .success(let a):
            do {
                try Self.deliver(message, to: a)
                return nil
            } catch {
                reason = "\(error.call): \(error.errnoName) (\(String(cString: strerror(error.errno))))"
            }
        case .failure(let e):
            reason = Self.describe(e)
        }
        warned = true
        return "pinctl: warning: NOTIFY_SOCKET '\(TerminalEscaping.escape(bytes: value))': \(reason): the supervisor was not told \(what); "
            + "the pin is unaffected (unset NOTIFY_SOCKET outside a Type=notify service)"
    }

    static func describe(_ r: Refusal) -> String {
        switch r {
        case .relative: return "not an absolute path or @abstract name"
        case .vsock: return "AF_VSOCK addresses are not supported"
        case .emptyAbstractName: return "'@' without a name"
        case .tooLong(let n): return "\(n) bytes, longer than a unix socket address holds (\(sunPathBytes - 1))"
        }
    }

    /// One socket per message, as sd_notify: socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
    /// SOCK_NONBLOCK), sendmsg with MSG_DONTWAIT | MSG_NOSIGNAL, close.
    static func deliver(_ message: [UInt8], to address: Address) throws(SyscallError) {
        let object: String
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let length: Int
        switch address {
        case .path(let p):
            object = TerminalEscaping.escape(bytes: p)
            withUnsafeMutableBytes(of: &sa.sun_path) { buf in
                buf.copyBytes(from: p)
                buf[p.count] = 0
            }
            length = pathOffset + p.count + 1
        case .abstract(let name):
            object = "@" + TerminalEscaping.escape(bytes: name)
            withUnsafeMutableBytes(of: &sa.sun_path) { buf in
                buf[0] = 0
                UnsafeMutableRawBufferPointer(rebasing: buf[1...]).copyBytes(from: name)
            }
            length = pathOffset + 1 + name.count
        }
        let raw = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard raw >= 0 else { throw lastError("socket", "AF_UNIX SOCK_DGRAM") }
        let socketFD = FileDescriptor(raw: raw, path: object)
        defer { socketFD.close() }
        let fd = socketFD.raw
        _ = try systemCall("sendmsg", object) {
            // sendmsg, not sendto: msg_name is a plain pointer, where sendto's address is a
            // transparent union under some Glibc module builds (the fuzz build's swiftc).
            let n = message.withUnsafeBytes { m in
                withUnsafeMutablePointer(to: &sa) { address in
                    var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: m.baseAddress), iov_len: m.count)
                    return withUnsafeMutablePointer(to: &iov) { iovp in
                        var msg = msghdr()
                        msg.msg_name = UnsafeMutableRawPointer(address)
                        msg.msg_namelen = socklen_t(length)
                        msg.msg_iov = iovp
                        msg.msg_iovlen = 1
                        return sendmsg(fd, &msg, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
                    }
                }
            }
            return n
        }
    }
}

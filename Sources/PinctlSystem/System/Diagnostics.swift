import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a line to standard error (diagnostics never go to stdout).
public func printError(_ line: String, newline: Bool = true) {
    var s = line
    if newline && !s.hasSuffix("\n") { s += "\n" }
    // A failure leaves nothing to say it on.
    s.withUTF8 { buf in if let base = buf.baseAddress { _ = writeAll(2, base, buf.count) } }
}

/// write(2) of all `count` bytes at `p` to `fd`: EINTR retried, short writes continued, and a
/// descriptor that is non-blocking (O_NONBLOCK belongs to the open file, which a pipe's reader
/// or a terminal shares with whoever set it) waited on with poll(POLLOUT) until it takes more,
/// as a blocking one would have been. Returns 0, or the errno that stopped it (EIO for a write
/// of nothing).
package func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int) -> Int32 {
    var off = 0
    while off < count {
        let n: Int
        do throws(SyscallError) {
            n = try systemCall("write", "descriptor \(fd)") { write(fd, p + off, count - off) }
        } catch {
            guard error.errno == EAGAIN || error.errno == EWOULDBLOCK else { return error.errno }
            // POLLERR (the reader went away) or POLLNVAL: the next write says which.
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = try? systemCall("poll", "descriptor \(fd)") { poll(&pfd, 1, -1) }
            continue
        }
        if n == 0 { return EIO }
        off += n
    }
    return 0
}

/// Flushes stdout (and every other stdio stream) so a report is visible before a hold.
public func flushOutput() {
    fflush(nil)
}

/// Flushes stdout and says whether everything written to it arrived (as GNU's close_stdout):
/// a report cut short by a full disk (`> /dev/full`), a closed stdout (`>&-`) or an I/O
/// error must not exit 0 as if it had been printed whole.
public func finishStandardOutput() throws(PinctlError) {
    let e = cpinctl_finish_stdout()
    if e != 0 { throw .system(SyscallError(call: "write", object: "standard output", errno: e)) }
}

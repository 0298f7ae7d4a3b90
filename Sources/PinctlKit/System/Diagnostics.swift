import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a line to standard error (diagnostics never go to stdout).
public func printError(_ line: String, newline: Bool = true) {
    var s = line
    if newline && !s.hasSuffix("\n") { s += "\n" }
    s.withUTF8 { buf in
        var off = 0
        while off < buf.count {
            let n = write(2, buf.baseAddress! + off, buf.count - off)
            if n > 0 {
                off += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                // A non-blocking stderr (a terminal someone set O_NONBLOCK on): wait, as
                // OutputBuffer.flush does, rather than lose the one line that says why.
                var p = pollfd(fd: 2, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, -1)
            } else {
                break
            }
        }
    }
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

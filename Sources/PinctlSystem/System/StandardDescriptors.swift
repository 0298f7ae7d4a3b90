#if canImport(Glibc)
    import Glibc
#endif

/// Descriptors 0, 1 and 2 held open from the start (OpenSSH's sanitise_stdfd): started with
/// one closed (`>&- 2>&-`, a daemon's child), pinctl's next open() would take its number,
/// and every diagnostic meant for stderr would be written into that file: the `--pidfile`
/// read "PID\nholding pid PID for 2.0 s". /dev/null takes the slot, opened so that the
/// stream still fails as a closed one would (stdin write-only, stdout and stderr
/// read-only: EBADF), so a report that reaches nobody is still an error.
public enum StandardDescriptors {
    public static func reserve() {
        for fd: Int32 in 0...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_NOCTTY)
            if opened >= 0 && opened != fd {
                _ = dup2(opened, fd)
                _ = close(opened)
            }
        }
    }
}

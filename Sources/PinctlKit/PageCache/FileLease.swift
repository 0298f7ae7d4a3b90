#if canImport(Glibc)
    import Glibc
#endif

/// An open refused with EAGAIN because another process holds a lease on the file (fcntl
/// F_SETLEASE: a read lease is broken by an open for writing, a write lease by any open).
/// pinctl opens regular files O_NONBLOCK, so it never waits for the break: the open fails
/// at once (the kernel still tells the holder, whose lease ends after
/// /proc/sys/fs/lease-break-time). The message names the holder from /proc/locks.
enum FileLease {
    /// "another process holds a read lease on it (pid 123, 'name'): ...", for a failure
    /// line that names the path itself (a tree walk's); `st` identifies the file.
    static func reason(_ st: stat?, writing: Bool) -> String {
        let leases = st.map { ProcLocks.leases(device: UInt64($0.st_dev), inode: UInt64($0.st_ino)) } ?? []
        guard let lease = leases.first else {
            return
                "another process holds a lease on it (open: EAGAIN; /proc/locks names none any more): pinctl does not wait for a lease to be broken: pin it again"
        }
        let comm =
            (try? readProcText("/proc/\(lease.pid)/comm")).map { " '\(TerminalEscaping.escape(String($0.trimmingSuffix("\n"))))'" } ?? ""
        // The open that failed has started to break the lease: /proc/locks then shows the
        // type it is being broken to (UNLCK for an open for writing, READ for a write lease
        // an open for reading downgrades).
        let kind: String
        switch (lease.state, lease.access) {
        case ("BREAKING", "READ"): kind = "a write lease (being broken)"
        case ("BREAKING", _): kind = "a lease (being broken)"
        case (_, "READ"): kind = "a read lease"
        default: kind = "a write lease"
        }
        let holder = lease.pid > 0 ? "pid \(lease.pid)" : "a process outside this pid namespace"
        let writeLease = leases.contains {
            ($0.state != "BREAKING" && $0.access == "WRITE") || ($0.state == "BREAKING" && $0.access == "READ")
        }
        let fix =
            writing && !writeLease
            ? "pin it without --write (a read lease allows that), or once \(holder) lets go of the lease"
            : "pin it once \(holder) lets go of the lease"
        return
            "another process holds \(kind) on it (\(holder)\(comm)), which this open would break (EAGAIN): pinctl does not wait for a lease to be broken: \(fix)"
    }

    /// `error` as a refusal naming the lease, when it is an open's EAGAIN; else unchanged.
    static func refusal(_ error: PinctlError, path: String, writing: Bool) -> PinctlError {
        guard case .system(let e) = error, e.errno == EAGAIN else { return error }
        return .refused("\(path): \(reason(try? FileDescriptor.stat(path, flags: 0), writing: writing))")
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
    }
}

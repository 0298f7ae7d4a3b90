/// /proc/locks: every file lock and lease the kernel holds, one a line
/// ("1: LEASE  ACTIVE    READ  2345 00:2a:1234 0 EOF"; fs/locks.c lock_get_status), so that
/// an open refused for a lease (EAGAIN) can name who holds it. Lines of waiters ("->") are
/// left out; so is any line that does not parse.
package enum ProcLocks {
    package static let path = "/proc/locks"

    package struct Entry: Equatable {
        /// POSIX, FLOCK, OFDLCK, LEASE, DELEG.
        package var kind: String
        /// ADVISORY for locks; ACTIVE, BREAKING or BREAKER for leases.
        package var state: String
        /// READ, WRITE, or UNLCK (a lease being broken to nothing).
        package var access: String
        /// The holder's pid in this pid namespace; -1 for an OFD lock, 0 when unknown.
        package var pid: Int32
        package var major: UInt32
        package var minor: UInt32
        package var inode: UInt64
    }

    /// The well-formed lines of /proc/locks text.
    package static func parse(_ bytes: [UInt8]) -> [Entry] {
        let t = ProcText(bytes: bytes)
        var out: [Entry] = []
        try? t.forEachLine { line in
            var rest = line
            guard t.nextField(&rest) != nil, let kind = t.nextField(&rest), !t.equals(kind, "->") else { return }
            guard let state = t.nextField(&rest), let access = t.nextField(&rest), let pidField = t.nextField(&rest),
                let id = t.nextField(&rest), let pid = parsePid(t, pidField)
            else { return }
            let parts = t.bytes[id].split(separator: ProcText.colon, omittingEmptySubsequences: false)
            guard parts.count == 3, let major = NumberParsing.digits(parts[0], radix: 16),
                let minor = NumberParsing.digits(parts[1], radix: 16),
                let inode = NumberParsing.digits(parts[2], radix: 10), let ma = UInt32(exactly: major), let mi = UInt32(exactly: minor)
            else { return }
            out.append(
                Entry(
                    kind: t.string(kind), state: t.string(state), access: t.string(access), pid: pid, major: ma, minor: mi, inode: inode))
        }
        return out
    }

    private static func parsePid(_ t: ProcText, _ r: Range<Int>) -> Int32? {
        if t.equals(r, "-1") { return -1 }
        return t.number(r, radix: 10).flatMap { Int32(exactly: $0) }
    }

    /// The leases (and NFS delegations) on the file `device`/`inode` (st_dev, st_ino), read
    /// now; empty when there are none or /proc/locks cannot be read.
    package static func leases(device: UInt64, inode: UInt64) -> [Entry] {
        guard let bytes = try? ProcFileReader.bytes(path) else { return [] }
        let number = DeviceNumber(device)
        return parse(bytes).filter {
            ($0.kind == "LEASE" || $0.kind == "DELEG") && $0.major == number.major && $0.minor == number.minor && $0.inode == inode
        }
    }
}

/// Which file system an open file is on, from /proc text alone: fdinfo's `mnt_id` and the
/// process's mountinfo. A stat through /proc/PID/fd asks the file's own file system, and a
/// FUSE daemon that stopped or a hung NFS server never answers; these two files are made by
/// the kernel from what it holds, so reading them cannot block on a user's file system.
package enum MountTypes {
    /// fdinfo's `mnt_id:` (fs/proc/fd.c, every kernel pinctl supports); nil when absent.
    package static func mountID(fdinfo bytes: [UInt8]) -> Int? {
        for line in bytes.split(separator: ProcText.newline) where line.starts(with: mntIDKey) {
            return Int(String(decoding: line.dropFirst(mntIDKey.count).drop { $0 == 0x09 || $0 == 0x20 }, as: UTF8.self))
        }
        return nil
    }

    /// mountinfo's mount IDs and their file system types (fs/proc_namespace.c:
    /// "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER").
    /// Unparsable lines are left out: a file there is then on no known mount.
    package static func parse(mountinfo bytes: [UInt8]) -> [Int: String] {
        var types: [Int: String] = [:]
        forEachMount(mountinfo: bytes) { id, _, type in
            if let id { types[id] = type }
        }
        return types
    }

    /// Each parsable mountinfo line's mount ID (nil when not a number), mount point field
    /// (still escaped) and file system type, in order.
    package static func forEachMount(mountinfo bytes: [UInt8], _ body: (Int?, ArraySlice<UInt8>, String) -> Void) {
        for line in bytes.split(separator: ProcText.newline) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: true)
            guard let dash = fields.firstIndex(where: { $0.count == 1 && $0.first == ProcText.dash }),
                dash >= 6, dash + 1 < fields.count
            else { continue }
            body(Int(String(decoding: fields[0], as: UTF8.self)), fields[4], String(decoding: fields[dash + 1], as: UTF8.self))
        }
    }

    /// File systems that device nodes live on and that answer a stat from memory, never
    /// from a daemon or a server: devtmpfs (/dev), tmpfs (a container's /dev), ramfs.
    package static let answeredByTheKernel: Set<String> = ["devtmpfs", "tmpfs", "ramfs"]

    /// File systems whose answers come from a daemon or a server, which can stop answering
    /// (a stopped FUSE daemon, a hung NFS or SMB server): a walk does not enter them unless
    /// they are named. fuse covers fuseblk and every fuse.SUBTYPE (sshfs, ntfs-3g, ...).
    package static func mayStopAnswering(_ type: String) -> Bool {
        if type.hasPrefix("fuse") || type.hasPrefix("nfs") { return true }
        return ["cifs", "smb3", "smbfs", "9p", "ceph", "afs", "glusterfs", "lustre", "virtiofs", "ncpfs", "coda", "davfs"]
            .contains(type)
    }

    static let mntIDKey = Array("mnt_id:".utf8)
}

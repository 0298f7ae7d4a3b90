#if canImport(Glibc)
    import Glibc
#endif

/// A file by device and inode: what makes two paths (hard links, a file named inside a tree
/// and on its own) the same file.
public struct FileIdentity: Hashable, Sendable {
    public let dev: UInt64
    public let ino: UInt64

    public init(_ st: stat) {
        dev = UInt64(st.st_dev)
        ino = UInt64(st.st_ino)
    }
}

/// The files a `pin` has already taken, shared by every range of it: `pin file:DIR
/// file:DIR/sub` (or one file named twice) locks and counts each file once, in the report
/// and in the memory preflight. (vmtouch -l enters a directory once but locks a file with
/// one link once per time it is named: 2 MiB of VmLck for `vmtouch -l F F` of a 1 MiB F.)
public final class SeenFiles {
    private var ids: Set<FileIdentity> = []

    public init() {}

    /// A copy, for a walk that only plans: it must see what the pin took, and add nothing.
    public func copy() -> SeenFiles {
        let c = SeenFiles()
        c.ids = ids
        return c
    }

    /// Whether the file was new (and is now seen).
    @discardableResult
    public func insert(_ id: FileIdentity) -> Bool { ids.insert(id).inserted }

    public func contains(_ id: FileIdentity) -> Bool { ids.contains(id) }
}

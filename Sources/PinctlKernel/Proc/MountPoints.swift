/// The mount points of this process's mount namespace and their file system types, from
/// /proc/self/mountinfo: a tree walk tells a mount point from a directory before opening it,
/// because opening (or stat'ing) the root of a FUSE or NFS mount that stopped answering
/// blocks in the daemon or the server, and the kernel writes mountinfo from what it holds.
package struct MountPoints: Sendable {
    /// Mount point path (as the kernel prints it, escapes decoded) -> file system type.
    package let types: [[UInt8]: String]
    /// The directories that hold a mount point: only their entries need a lookup.
    package let parents: Set<[UInt8]>

    package init(types: [[UInt8]: String]) {
        self.types = types
        var parents = Set<[UInt8]>()
        for path in types.keys {
            guard let slash = path.lastIndex(of: 0x2F) else { continue }
            parents.insert(slash == 0 ? [0x2F] : Array(path[..<slash]))
        }
        self.parents = parents
    }

    /// mountinfo's "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER"
    /// (fs/proc_namespace.c), the point with its \ooo escapes (space, tab, newline,
    /// backslash) decoded. Unparsable lines are left out; a later mount on the same point
    /// wins, as it hides the earlier one.
    package static func parse(mountinfo bytes: [UInt8]) -> MountPoints {
        var types: [[UInt8]: String] = [:]
        MountTypes.forEachMount(mountinfo: bytes) { _, field, type in
            if let point = unescape(field), point.first == 0x2F { types[point] = type }
        }
        return MountPoints(types: types)
    }

    /// This process's, or nil without /proc.
    package static func current() -> MountPoints? {
        guard let bytes = try? ProcFileReader.bytes("/proc/self/mountinfo") else { return nil }
        return parse(mountinfo: bytes)
    }

    /// The type of what is mounted on `path` (absolute, as the kernel prints it), if anything.
    package func type(at path: [UInt8]) -> String? { types[path] }

    /// The kernel's mangle() escapes: a backslash and three octal digits.
    static func unescape(_ field: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(field.count)
        var i = field.startIndex
        while i < field.endIndex {
            let b = field[i]
            if b == 0x5C {
                guard field.endIndex - i >= 4 else { return nil }
                var v: UInt32 = 0
                for k in 1...3 {
                    let d = field[i + k]
                    guard d >= 0x30 && d <= 0x37 else { return nil }
                    v = v * 8 + UInt32(d - 0x30)
                }
                guard v <= 0xFF else { return nil }
                out.append(UInt8(v))
                i += 4
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }
}

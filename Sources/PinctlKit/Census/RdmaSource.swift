#if canImport(Glibc)
    import Glibc
#endif

/// RDMA memory regions live in the kernel's RDMA netlink resource dump (what
/// `rdma resource show mr` prints). This census does not read that dump yet: it says so,
/// once, when the machine has RDMA devices, and counts their pins through VmPin (ib_umem
/// charges it) and the uverbs fds it names.
public enum RdmaSource {
    public static let classPath = "/sys/class/infiniband"

    public static func missingLines() -> [String] {
        guard let dir = opendir(classPath) else { return [] }
        defer { closedir(dir) }
        var devices = 0
        while let e = readdir(dir) {
            let first = e.pointee.d_name.0
            if first != UInt8(ascii: ".") { devices += 1 }
        }
        guard devices > 0 else { return [] }
        return [
            "RDMA: \(devices) device(s) in \(classPath), but memory regions are not read from RDMA netlink by this version: their pins count in VmPin; list them with `rdma resource show mr`"
        ]
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// RDMA memory regions live in the kernel's RDMA netlink resource dump (what
/// `rdma resource show mr` prints). This version checks that the source exists (a
/// NETLINK_RDMA socket: ib_core registers it) and whether the machine has RDMA devices, and
/// says in one line what the census cannot list; the regions' pins still count through
/// VmPin (ib_umem charges it) and the uverbs fds the rows name.
public enum RdmaSource {
    public static let classPath = "/sys/class/infiniband"
    /// NETLINK_RDMA in <linux/netlink.h>.
    static let netlinkRDMA: Int32 = 20

    public static func missingLines() -> [String] {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkRDMA)
        if fd < 0 {
            let e = lastError("socket", "AF_NETLINK, NETLINK_RDMA")
            return [
                "RDMA netlink: \(e.description): no RDMA core loaded (ib_core), so no RDMA memory regions to list"
            ]
        }
        _ = Glibc.close(fd)
        let devices = deviceCount()
        guard devices > 0 else { return [] }
        return [
            "RDMA: \(devices) device(s) in \(classPath); their memory regions are not read from RDMA netlink by this version: they count in VmPin; list them with `rdma resource show mr`"
        ]
    }

    static func deviceCount() -> Int {
        guard let dir = opendir(classPath) else { return 0 }
        defer { closedir(dir) }
        var devices = 0
        while let e = readdir(dir) {
            if e.pointee.d_name.0 != UInt8(ascii: ".") { devices += 1 }
        }
        return devices
    }
}

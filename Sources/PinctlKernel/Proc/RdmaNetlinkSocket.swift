import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// A NETLINK_RDMA socket (ib_core registers the protocol; without it socket() fails with
/// EPROTONOSUPPORT) that runs nldev dumps: one request, then replies until NLMSG_DONE.
/// Reads are bounded: each recvmsg waits at most `timeout`, a reply too large for the
/// buffer is an error rather than a silent cut, only the kernel's messages count (sender
/// port 0), and a dump that does not end within `maxReceives` buffers is abandoned.
package final class RdmaNetlinkSocket {
    private let socketFD: FileDescriptor
    var fd: Int32 { socketFD.raw }
    private var sequence: UInt32 = 0
    private var buffer: [UInt8]

    /// Larger than the 32 KiB the kernel fills per dump message, so MSG_TRUNC means garbage.
    static let bufferSize = 65536
    static let timeoutSeconds = 5
    static let maxReceives = 65536
    /// Regions per device the census lists (memory is bounded by rows, not by the machine).
    static let maxRegions = 1 << 20

    private init(fd: Int32) {
        self.socketFD = FileDescriptor(raw: fd, path: "NETLINK_RDMA socket")
        self.buffer = [UInt8](repeating: 0, count: Self.bufferSize)
    }

    /// socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA) with SO_RCVTIMEO set.
    package static func open() throws(RdmaNetlinkError) -> RdmaNetlinkSocket {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), CPINCTL_NETLINK_RDMA)
        guard fd >= 0 else { throw .system(lastError("socket", "AF_NETLINK, NETLINK_RDMA")) }
        let s = RdmaNetlinkSocket(fd: fd)
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw .system(lastError("setsockopt", "NETLINK_RDMA socket, SO_RCVTIMEO"))
        }
        return s
    }

    /// The RDMA devices (RDMA_NLDEV_CMD_GET dump).
    package func devices() throws(RdmaNetlinkError) -> [RdmaDevice] {
        var out: [RdmaDevice] = []
        try dump(type: CPINCTL_RDMA_NLDEV_GET, deviceIndex: nil, request: "RDMA netlink device list") { batch throws(RdmaNetlinkError) in
            out.append(contentsOf: batch.devices)
            if out.count > Self.maxRegions {
                throw .unbounded(request: "RDMA netlink device list", reason: "more than \(Self.maxRegions) devices")
            }
        }
        return out
    }

    /// The memory regions of one device (RDMA_NLDEV_CMD_RES_MR_GET dump with DEV_INDEX).
    package func memoryRegions(of device: RdmaDevice) throws(RdmaNetlinkError) -> [RdmaMemoryRegion] {
        let request = "RDMA netlink MR dump of \(device.name) (index \(device.index))"
        var out: [RdmaMemoryRegion] = []
        try dump(type: CPINCTL_RDMA_NLDEV_RES_MR_GET, deviceIndex: device.index, request: request) {
            batch throws(RdmaNetlinkError) in
            out.append(contentsOf: batch.regions)
            if out.count > Self.maxRegions {
                throw .unbounded(request: request, reason: "more than \(Self.maxRegions) memory regions")
            }
        }
        return out
    }

    private func dump(
        type: UInt16, deviceIndex: UInt32?, request: String, _ each: (RdmaNetlinkDump.Batch) throws(RdmaNetlinkError) -> Void
    ) throws(RdmaNetlinkError) {
        sequence &+= 1
        try send(RdmaNetlinkDump.request(type: type, sequence: sequence, deviceIndex: deviceIndex), request: request)
        for _ in 0..<Self.maxReceives {
            let n = try receive(request: request)
            let batch = try RdmaNetlinkDump.decode(NetlinkBytes(buffer, count: n), type: type, sequence: sequence, request: request)
            try each(batch)
            if batch.done { return }
        }
        throw .unbounded(request: request, reason: "no NLMSG_DONE after \(Self.maxReceives) replies")
    }

    /// send(2) to the kernel (the socket's default destination, port 0).
    private func send(_ bytes: [UInt8], request: String) throws(RdmaNetlinkError) {
        let n: Int
        do throws(SyscallError) {
            n = try systemCall("send", request) { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
        } catch {
            throw .system(error)
        }
        if n != bytes.count { throw .unbounded(request: request, reason: "send wrote \(n) of \(bytes.count) bytes") }
    }

    /// One recvmsg(2) into the buffer: the bytes received. A timeout, a
    /// truncated datagram or a sender other than the kernel is an error.
    private func receive(request: String) throws(RdmaNetlinkError) -> Int {
        var from = sockaddr_nl()
        var msg = msghdr()
        let n: Int
        do throws(SyscallError) {
            n = try systemCall("recvmsg", request) {
                var iov = iovec()
                return buffer.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &from) { f in
                        iov.iov_base = b.baseAddress
                        iov.iov_len = b.count
                        return withUnsafeMutablePointer(to: &iov) { iovp in
                            msg.msg_name = UnsafeMutableRawPointer(f)
                            msg.msg_namelen = socklen_t(MemoryLayout<sockaddr_nl>.size)
                            msg.msg_iov = iovp
                            msg.msg_iovlen = 1
                            return recvmsg(fd, &msg, 0)
                        }
                    }
                }
            }
        } catch {
            if error.errno == EAGAIN || error.errno == EWOULDBLOCK {
                throw .unbounded(request: request, reason: "no reply within \(Self.timeoutSeconds) s")
            }
            throw .system(error)
        }
        if msg.msg_flags & Int32(MSG_TRUNC) != 0 {
            throw .malformed(request: request, reason: "a reply larger than \(Self.bufferSize) bytes")
        }
        // Only root may send to another process's netlink port; still, only the kernel's
        // messages count (a foreign one reads as nothing, and counts against maxReceives).
        return from.nl_pid == 0 ? n : 0
    }
}

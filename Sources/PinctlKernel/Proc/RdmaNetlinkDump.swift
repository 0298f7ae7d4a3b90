import CPinctl

/// An RDMA device as the nldev device list names it.
public struct RdmaDevice: Codable, Sendable, Equatable {
    public var index: UInt32
    public var name: String
}

/// One RDMA memory region from the kernel's resource dump (what `rdma resource show mr`
/// prints). A user MR's pages are pinned (ib_umem_get: FOLL_LONGTERM) and charged to the
/// owner's VmPin for as long as it is registered. Its keys (lkey, rkey) are left out on
/// purpose: an rkey grants remote access to the memory, and census output lands in
/// world-readable files.
public struct RdmaMemoryRegion: Codable, Sendable, Equatable {
    public var device: String
    public var deviceIndex: UInt32
    /// RDMA_NLDEV_ATTR_RES_MRN: the kernel's id of the MR on its device.
    public var mrn: UInt32?
    /// RDMA_NLDEV_ATTR_RES_MRLEN, in bytes.
    public var length: UInt64
    /// The owner's pid in the census's pid namespace; nil for a kernel MR or when the owner
    /// has exited (the kernel then leaves the pid out).
    public var pid: Int32?
    /// RDMA_NLDEV_ATTR_RES_KERN_NAME: the kernel module that owns a kernel MR.
    public var kernelOwner: String?
    /// RDMA_NLDEV_ATTR_RES_PDN: the protection domain (user MRs).
    public var pdn: UInt32?
    /// RDMA_NLDEV_ATTR_RES_IOVA, read when present: the kernels measured here (6.1, 6.12)
    /// do not send it, so the dump does not say where the region is.
    public var iova: UInt64?

    public init(
        device: String, deviceIndex: UInt32, mrn: UInt32? = nil, length: UInt64, pid: Int32? = nil,
        kernelOwner: String? = nil, pdn: UInt32? = nil, iova: UInt64? = nil
    ) {
        self.device = device
        self.deviceIndex = deviceIndex
        self.mrn = mrn
        self.length = length
        self.pid = pid
        self.kernelOwner = kernelOwner
        self.pdn = pdn
        self.iova = iova
    }

    /// A kernel MR (KERN_NAME): it pins no user memory through FOLL_PIN.
    public var isKernel: Bool { kernelOwner != nil }

    /// Pages ib_umem_get pinned: the length in pages, rounded up (one more when the
    /// buffer does not start on a page boundary, which the dump does not say; VmPin does).
    public var pinnedPages: UInt64 {
        guard !isKernel else { return 0 }
        let (sum, overflow) = length.addingReportingOverflow(PagemapReader.pageSize - 1)
        return overflow ? length >> PagemapReader.pageShift + 1 : sum >> PagemapReader.pageShift
    }
}

/// Why the RDMA resource dump could not be read. The census turns it into one `missing:` line.
public enum RdmaNetlinkError: Error, Equatable, CustomStringConvertible {
    /// A socket call failed (socket, setsockopt, send, recvmsg).
    case system(SyscallError)
    /// The kernel answered the request with an error (NLMSG_ERROR or a negative NLMSG_DONE).
    case kernel(request: String, errno: Int32)
    /// The reply's lengths or attributes do not make sense.
    case malformed(request: String, reason: String)
    /// The reply did not end within the bounds the census sets (messages, regions, time).
    case unbounded(request: String, reason: String)

    public var description: String {
        switch self {
        case .system(let e): return e.description
        case .kernel(let r, let e):
            return "\(r): the kernel answered \(SyscallError.name(of: e))"
        case .malformed(let r, let why): return "\(r): garbled reply: \(why)"
        case .unbounded(let r, let why): return "\(r): \(why)"
        }
    }
}

/// Decodes the replies of the RDMA nldev dumps (drivers/infiniband/core/nldev.c): the
/// device list (RDMA_NLDEV_CMD_GET: DEV_INDEX, DEV_NAME per message) and a device's memory
/// regions (RDMA_NLDEV_CMD_RES_MR_GET: DEV_INDEX, DEV_NAME and a RES_MR table of
/// RES_MR_ENTRY nests, as many per message as fit). Every value is checked for its size;
/// nothing here can trap on bytes a kernel (or a fuzzer) makes up.
enum RdmaNetlinkDump {
    static let deviceNameLimit = 64  // IB_DEVICE_NAME_MAX
    static let kernelNameLimit = 64

    /// What one received buffer held.
    struct Batch: Equatable {
        /// NLMSG_DONE arrived: the dump is over.
        var done = false
        var devices: [RdmaDevice] = []
        var regions: [RdmaMemoryRegion] = []
        /// Messages of another request (an older sequence number): ignored.
        var stale = 0
    }

    static let messageDone: UInt16 = 3
    static let messageError: UInt16 = 2
    static let messageNoop: UInt16 = 1
    static let messageOverrun: UInt16 = 4

    /// Decodes one received buffer of a dump whose request had `sequence` and `type`.
    static func decode(_ bytes: NetlinkBytes, type: UInt16, sequence: UInt32, request: String) throws(RdmaNetlinkError)
        -> Batch
    {
        var batch = Batch()
        let messages: [NetlinkMessage]
        do {
            messages = try bytes.messages()
        } catch {
            throw .malformed(request: request, reason: error.description)
        }
        for m in messages {
            guard m.sequence == sequence else {
                batch.stale += 1
                continue
            }
            switch m.type {
            case messageNoop:
                continue
            case messageError, messageDone:
                guard let code = bytes.errorCode(m) else {
                    // A DONE without its int is still the end (kernels before 4.x sent none).
                    if m.type == messageDone {
                        batch.done = true
                        continue
                    }
                    throw .malformed(request: request, reason: "an NLMSG_ERROR of \(m.payload.count) bytes")
                }
                if code < 0 {
                    let e = code == Int32.min ? Int32.max : -code
                    throw .kernel(request: request, errno: e)
                }
                batch.done = true
            case messageOverrun:
                throw .malformed(request: request, reason: "NLMSG_OVERRUN: the kernel dropped part of the reply")
            case type:
                if type == CPINCTL_RDMA_NLDEV_GET {
                    if let d = try device(bytes, m, request: request) { batch.devices.append(d) }
                } else {
                    try regions(bytes, m, request: request, into: &batch.regions)
                }
            default:
                throw .malformed(request: request, reason: "a message of type \(m.type) in a reply to type \(type)")
            }
        }
        return batch
    }

    /// The device a message names: DEV_INDEX and DEV_NAME (nil when either is missing or
    /// has the wrong size).
    static func device(_ bytes: NetlinkBytes, _ m: NetlinkMessage, request: String) throws(RdmaNetlinkError) -> RdmaDevice? {
        var index: UInt32?
        var name: String?
        for a in try attributes(bytes, m.payload, request: request) {
            switch a.type {
            case CPINCTL_NLDEV_ATTR_DEV_INDEX: index = bytes.u32(a)
            case CPINCTL_NLDEV_ATTR_DEV_NAME: name = bytes.string(a, limit: deviceNameLimit)
            default: break
            }
        }
        guard let index, let name else { return nil }
        return RdmaDevice(index: index, name: name)
    }

    /// The memory regions of one RES_MR_GET message. An entry without a length is garbled.
    static func regions(_ bytes: NetlinkBytes, _ m: NetlinkMessage, request: String, into out: inout [RdmaMemoryRegion])
        throws(RdmaNetlinkError)
    {
        guard let d = try device(bytes, m, request: request) else {
            throw .malformed(request: request, reason: "a memory-region message without its device's index and name")
        }
        for table in try attributes(bytes, m.payload, request: request) where table.type == CPINCTL_NLDEV_ATTR_RES_MR {
            for entry in try attributes(bytes, table.value, request: request) where entry.type == CPINCTL_NLDEV_ATTR_RES_MR_ENTRY {
                var mr = RdmaMemoryRegion(device: d.name, deviceIndex: d.index, length: 0)
                var length: UInt64?
                for a in try attributes(bytes, entry.value, request: request) {
                    switch a.type {
                    case CPINCTL_NLDEV_ATTR_RES_MRLEN: length = bytes.u64(a)
                    case CPINCTL_NLDEV_ATTR_RES_MRN: mr.mrn = bytes.u32(a)
                    case CPINCTL_NLDEV_ATTR_RES_PDN: mr.pdn = bytes.u32(a)
                    case CPINCTL_NLDEV_ATTR_RES_IOVA: mr.iova = bytes.u64(a)
                    case CPINCTL_NLDEV_ATTR_RES_PID:
                        // A pid is a positive int; anything else is no pid.
                        mr.pid = bytes.u32(a).flatMap { Int32(exactly: $0) }.flatMap { $0 > 0 ? $0 : nil }
                    case CPINCTL_NLDEV_ATTR_RES_KERN_NAME:
                        mr.kernelOwner = bytes.string(a, limit: kernelNameLimit) ?? "?"
                    default: break
                    }
                }
                guard let length else {
                    throw .malformed(request: request, reason: "a memory region without an 8-byte RES_MRLEN")
                }
                mr.length = length
                out.append(mr)
            }
        }
    }

    static func attributes(_ bytes: NetlinkBytes, _ range: Range<Int>, request: String) throws(RdmaNetlinkError)
        -> [NetlinkAttribute]
    {
        do {
            return try bytes.attributes(in: range)
        } catch {
            throw .malformed(request: request, reason: error.description)
        }
    }

    /// A dump request: the header, and for a resource dump the device's index.
    static func request(type: UInt16, sequence: UInt32, deviceIndex: UInt32?) -> [UInt8] {
        var out: [UInt8] = []
        func put16(_ v: UInt16) { withUnsafeBytes(of: v) { out.append(contentsOf: $0) } }
        func put32(_ v: UInt32) { withUnsafeBytes(of: v) { out.append(contentsOf: $0) } }
        let length = UInt32(NetlinkBytes.messageHeaderSize + (deviceIndex == nil ? 0 : 8))
        put32(length)
        put16(type)
        put16(UInt16(NLM_F_REQUEST | NLM_F_DUMP))
        put32(sequence)
        put32(0)
        if let deviceIndex {
            put16(8)
            put16(CPINCTL_NLDEV_ATTR_DEV_INDEX)
            put32(deviceIndex)
        }
        return out
    }
}

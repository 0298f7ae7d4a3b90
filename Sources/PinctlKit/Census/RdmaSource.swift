/// What the census read from the kernel's RDMA netlink resource dump.
public struct RdmaCensus: Codable, Sendable, Equatable {
    public var devices: [RdmaDevice]
    /// Regions no process row holds: kernel MRs (`kernelOwner`), and user MRs whose owner
    /// exited or was not listed (another pid namespace, unreadable).
    public var otherRegions: [RdmaMemoryRegion]
    /// Every region the dump listed, rows' and others'.
    public var regionCount: Int
}

/// RDMA memory regions from the kernel's RDMA netlink resource dump, what
/// `rdma resource show mr` prints: the device list (RDMA_NLDEV_CMD_GET), then each
/// device's MRs (RDMA_NLDEV_CMD_RES_MR_GET). Without ib_core there is no NETLINK_RDMA
/// socket, and the census says so in one line; a device whose dump fails is one line too.
public enum RdmaSource {
    public struct Reading: Sendable {
        /// nil when the machine has no RDMA netlink (ib_core not loaded).
        public var devices: [RdmaDevice]?
        public var regions: [RdmaMemoryRegion]
        public var missing: [String]
    }

    public static func read() -> Reading {
        let socket: RdmaNetlinkSocket
        do {
            socket = try RdmaNetlinkSocket.open()
        } catch {
            return Reading(
                devices: nil, regions: [],
                missing: ["RDMA netlink: \(error.description): no RDMA core loaded (ib_core), so no RDMA memory regions to list"])
        }
        let devices: [RdmaDevice]
        do {
            devices = try socket.devices()
        } catch {
            return Reading(
                devices: nil, regions: [],
                missing: ["RDMA netlink: \(error.description): RDMA memory regions not listed (they still count in VmPin)"])
        }
        var regions: [RdmaMemoryRegion] = []
        var missing: [String] = []
        for d in devices {
            do {
                regions += try socket.memoryRegions(of: d)
            } catch {
                missing.append("RDMA netlink: \(error.description): this device's memory regions not listed (they still count in VmPin)")
            }
        }
        return Reading(devices: devices, regions: regions, missing: missing)
    }
}

/// Puts each user MR in its owner's census row, and returns the rest (kernel MRs, and MRs
/// of pids with no row) for the report's RDMA section.
public enum RdmaAttribution {
    public static func attach(_ regions: [RdmaMemoryRegion], to rows: inout [CensusRow]) -> [RdmaMemoryRegion] {
        var rowOf: [Int32: Int] = [:]
        for (i, row) in rows.enumerated() { rowOf[row.pid] = i }
        var others: [RdmaMemoryRegion] = []
        for mr in regions {
            if let pid = mr.pid, !mr.isKernel, let i = rowOf[pid] {
                rows[i].rdmaMemoryRegions.append(mr)
            } else {
                others.append(mr)
            }
        }
        rows.sort { ($0.bytes, $1.pid) > ($1.bytes, $0.pid) }
        return others
    }
}

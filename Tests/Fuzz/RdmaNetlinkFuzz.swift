// libFuzzer target for the RDMA netlink resource dump's decoder: the replies to the device
// list and to a device's memory-region dump, as received (several messages per buffer,
// nested attributes). The kernel writes these bytes, but the census runs as root on every
// host, and a garbled reply must be an error, never a trap or an out-of-bounds read.
import CPinctl

@testable import PinctlKernel
@testable import PinctlSystem

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRdmaNetlink(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    // The last byte picks a cut (0 for a real reply, which ends in DONE's 0 or 0xff of an
    // errno), so a buffer shorter than its messages is tried too.
    let count = bytes.isEmpty ? 0 : bytes.count - Int(bytes[bytes.count - 1]) % min(bytes.count, 17)
    let nl = NetlinkBytes(bytes, count: count)
    if let messages = try? nl.messages() {
        require(messages.count <= count / 16, "\(messages.count) messages in \(count) bytes")
        for m in messages {
            require(m.payload.lowerBound >= 16 && m.payload.upperBound <= count, "payload \(m.payload) of \(count)")
            if let attrs = try? nl.attributes(in: m.payload) {
                require(attrs.count <= m.payload.count / 4, "\(attrs.count) attributes in \(m.payload.count) bytes")
                for a in attrs {
                    require(a.value.upperBound <= m.payload.upperBound, "attribute \(a.value) outside \(m.payload)")
                    _ = nl.u32(a)
                    _ = nl.u64(a)
                    _ = nl.string(a, limit: 64)
                }
            }
        }
    }
    for type in [CPINCTL_RDMA_NLDEV_GET, CPINCTL_RDMA_NLDEV_RES_MR_GET] {
        for sequence: UInt32 in [7, 0] {
            let first = try? RdmaNetlinkDump.decode(nl, type: type, sequence: sequence, request: "fuzz")
            if let batch = first {
                // Each region needs an entry with an 8-byte length: at least 16 bytes.
                require(batch.regions.count <= count / 16, "\(batch.regions.count) regions in \(count) bytes")
                require(batch.devices.count <= count / 16, "\(batch.devices.count) devices in \(count) bytes")
                for mr in batch.regions {
                    require(mr.pid.map { $0 > 0 } ?? true, "pid \(String(describing: mr.pid))")
                    _ = mr.pinnedPages
                }
            }
            let again = try? RdmaNetlinkDump.decode(nl, type: type, sequence: sequence, request: "fuzz")
            require(first == again, "the same bytes decode the same twice")
        }
    }
    return 0
}

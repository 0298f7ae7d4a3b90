// libFuzzer target for the census's /proc readers: io_uring fdinfo (registered buffers),
// /proc/meminfo, /proc/vmstat's FOLL_PIN counters, /proc/zoneinfo's Movable zones, and the
// mount of an fd (fdinfo's mnt_id, a process's mountinfo), and /proc/locks (whose lease
// holder a refused pin names). A
// process can't write these files, but a kernel can print what a parser never saw, and
// the census runs as root over every process on the host.
@testable import PinctlKernel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCensusProcText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count

    let ring = IoUringFdinfo.parse(bytes, fd: 3)
    require(ring.buffers.count < lines, "\(ring.buffers.count) buffers from \(lines) lines")
    _ = ring.registeredBytes
    _ = ring.pinnedPages
    require(IoUringFdinfo.parse(bytes, fd: 3) == ring, "fdinfo parses the same twice")

    let m = MeminfoReader.parse(bytes)
    _ = m.hugetlbInUseBytes
    _ = m.hugetlbTotalBytes
    if let inUse = m.hugetlbInUseBytes, let total = m.hugetlbTotalBytes {
        require(inUse <= total, "hugetlb in use \(inUse) > total \(total)")
    }

    if let pins = VmstatReader.parse(bytes) {
        require(pins.outstanding <= pins.acquired, "outstanding \(pins.outstanding) > acquired \(pins.acquired)")
    }

    let zones = ZoneinfoReader.parse(bytes)
    require(zones.count < lines, "\(zones.count) zones from \(lines) lines")

    _ = MountTypes.mountID(fdinfo: bytes)
    let mounts = MountTypes.parse(mountinfo: bytes)
    require(mounts.count <= lines, "\(mounts.count) mounts from \(lines) lines")
    require(mounts.values.allSatisfy { !$0.isEmpty && !$0.contains(" ") }, "a file system type with a blank: \(mounts)")

    let locks = ProcLocks.parse(bytes)
    require(locks.count <= lines, "\(locks.count) locks from \(lines) lines")
    require(locks.allSatisfy { !$0.kind.isEmpty && !$0.access.contains(" ") }, "a lock field with a blank: \(locks)")
    return 0
}

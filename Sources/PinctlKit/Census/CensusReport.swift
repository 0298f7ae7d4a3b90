/// A VMA with VM_LOCKED (smaps VmFlags `lo`): mlock(2), mlockall, MAP_LOCKED.
public struct LockedVMA: Codable, Sendable, Equatable {
    public var start: UInt64
    public var end: UInt64
    /// smaps `Locked:`: the resident part, in bytes.
    public var lockedBytes: UInt64?
    /// UTF-8, U+FFFD for bytes that are not; `pathBytes` then holds the exact bytes in hex.
    public var path: String
    public var pathBytes: String? = nil

    public var size: UInt64 { end &- start }
    public var displayPath: String { TerminalEscaping.escape(text: path, hexBytes: pathBytes) }
}

/// An open fd of a device through which the kernel can pin the process's memory.
public struct DeviceFd: Codable, Sendable, Equatable {
    public var fd: Int32
    public var kind: PinningDeviceKind
    /// The fd's link target (the device node's path when it was opened); `pathBytes` as a
    /// locked VMA's.
    public var path: String
    public var pathBytes: String? = nil
    public var major: UInt32
    public var minor: UInt32

    public var displayPath: String { TerminalEscaping.escape(text: path, hexBytes: pathBytes) }
}

/// One process that pins or locks memory, or holds a device that can pin it.
public struct CensusRow: Codable, Sendable, Equatable {
    public var pid: Int32
    /// As the kernel has it (not escaped: text output escapes it). Bytes that are not UTF-8
    /// read as U+FFFD here, and `commBytes` then holds the exact bytes in hex.
    public var comm: String
    public var commBytes: String?
    /// The cgroup v2 path (`0::` line of /proc/PID/cgroup), or the first hierarchy's;
    /// `cgroupBytes` as `commBytes`.
    public var cgroup: String
    public var cgroupBytes: String? = nil
    /// /proc/PID/status VmPin (mm->pinned_vm: io_uring buffers, RDMA umem) in bytes.
    public var vmPinBytes: UInt64
    /// /proc/PID/status VmLck (mm->locked_vm: mlock, VFIO type1) in bytes.
    public var vmLckBytes: UInt64
    public var lockedVMAs: [LockedVMA]
    /// io_uring instances with registered buffers (or whose buffer table the kernel withheld).
    public var ioUringRings: [IoUringRing]
    public var deviceFds: [DeviceFd]
    /// RDMA memory regions the process registered (the RDMA netlink resource dump).
    public var rdmaMemoryRegions: [RdmaMemoryRegion] = []
    /// What this caller could not read of the process (ptrace's read check), so what the
    /// row cannot show: `fds`, its io_uring buffers and devices; `smaps`, its locked VMAs.
    public var unread: [Unread] = []

    public enum Unread: String, Codable, Sendable {
        case fds, smaps
    }

    /// comm for a terminal or a label: control characters and non-UTF-8 bytes escaped.
    public var displayComm: String { TerminalEscaping.escape(text: comm, hexBytes: commBytes) }
    public var displayCgroup: String { TerminalEscaping.escape(text: cgroup, hexBytes: cgroupBytes) }

    public var ioUringBytes: UInt64 { ioUringRings.reduce(0) { $0 &+ $1.registeredBytes } }
    public var ioUringPinPages: UInt64 { ioUringRings.reduce(0) { $0 &+ $1.pinnedPages } }

    public var rdmaBytes: UInt64 { rdmaMemoryRegions.reduce(0) { $0 &+ $1.length } }
    public var rdmaPinPages: UInt64 { rdmaMemoryRegions.reduce(0) { $0 &+ $1.pinnedPages } }

    /// FOLL_PIN pages this row accounts for: its io_uring buffers' pins and RDMA memory
    /// regions' pages, plus whatever VmPin holds beyond the pages those charge it (other
    /// drivers that charge pinned_vm). VmPin is memory, not pins: io_uring charges a buffer's
    /// pages even when 6.10+ keeps one pin per large folio.
    public var attributedPinPages: UInt64 {
        let charged = ioUringRings.reduce(0) { $0 &+ $1.buffers.reduce(0) { $0 &+ $1.pagesSpanned } } &+ rdmaPinPages
        let vmPinPages = vmPinBytes >> PagemapReader.pageShift
        return ioUringPinPages &+ rdmaPinPages &+ (vmPinPages > charged ? vmPinPages - charged : 0)
    }

    /// The sort key: bytes locked plus bytes pinned (the larger of VmPin and io_uring's and RDMA's).
    public var bytes: UInt64 { vmLckBytes &+ max(vmPinBytes, ioUringBytes &+ rdmaBytes) }
}

/// The machine-wide numbers, from /proc/vmstat, /proc/meminfo and /proc/zoneinfo.
public struct CensusTotals: Codable, Sendable, Equatable {
    /// nr_foll_pin_acquired / nr_foll_pin_released; nil on kernels without them.
    public var follPin: FollPinCounters?
    /// acquired - released: page references pinned with FOLL_PIN now.
    public var follPinOutstandingPages: UInt64?
    /// What the rows account for (io_uring buffer pins, RDMA memory regions, VmPin, and
    /// /dev/pinctl pins whose target is no row), capped at the outstanding total.
    public var attributedPinPages: UInt64
    /// Outstanding pins no row accounts for (drivers that charge nothing: V4L2, DRM, pinctl's module).
    public var unattributedPinPages: UInt64?
    public var mlockedBytes: UInt64?
    public var unevictableBytes: UInt64?
    public var hugetlbInUseBytes: UInt64?
    public var hugetlbTotalBytes: UInt64?
    public var cmaTotalBytes: UInt64?
    public var cmaFreeBytes: UInt64?
    public var movableZones: [MovableZone]
}

/// `pinctl census`: who pins and locks memory on this machine.
public struct CensusReport: Codable, Sendable, Equatable {
    public var kernel: String
    public var totals: CensusTotals
    /// Sorted by `bytes`, largest first.
    public var rows: [CensusRow]
    public var processesScanned: Int
    /// Processes that exited between being listed and being read: skipped.
    public var processesVanished: Int
    /// Processes whose files could not be read (permissions): skipped.
    public var processesUnreadable: Int
    /// Rows of processes read only in part (`CensusRow.unread`).
    public var processesReadInPart: Int { rows.filter { !$0.unread.isEmpty }.count }
    /// One line per source that is missing on this kernel or machine; the census went on.
    public var missingSources: [String]
    /// What --deep found, or why it could not run.
    public var deep: DeepCensus?
    public var scanSeconds: Double
    /// The RDMA devices and the memory regions no row holds; nil without RDMA netlink.
    public var rdma: RdmaCensus? = nil
    /// Pins held through /dev/pinctl per open file and owner; nil without the module.
    public var kernelHelperPins: KernelHelperPins? = nil
}

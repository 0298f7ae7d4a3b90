import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The census's parsers on /proc text captured on the host's 6.18 (Fixtures/linux-6.18) and
/// on text in the format 6.1 prints, each checked against the file read independently.
@Suite struct CensusParsingTests {
    static let dir = repoRoot.appendingPathComponent("Tests/PinctlKitTests/Fixtures/linux-6.18")
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: dir.appendingPathComponent(name))) }
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }

    /// "name value" or "Name:   123 kB" lines, split the plain way.
    static func field(_ text: String, _ name: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if f.first.map(String.init) == name || f.first.map(String.init) == name + ":" {
                guard let v = UInt64(f[1]) else { return nil }
                return f.count > 2 && f[2] == "kB" ? v * 1024 : v
            }
        }
        return nil
    }

    @Test func vmstatFollPinCountersMatchTheCapturedFile() throws {
        let text = try Self.text("vmstat.txt")
        let pins = try #require(VmstatReader.parse(Array(text.utf8)))
        #expect(pins.acquired == Self.field(text, "nr_foll_pin_acquired"))
        #expect(pins.released == Self.field(text, "nr_foll_pin_released"))
        #expect(pins.outstanding == pins.acquired - pins.released)
    }

    @Test func vmstatWithoutPinCountersIsNoTotalNotZero() {
        #expect(VmstatReader.parse(Array("nr_free_pages 12\nnr_foll_pin_acquired 5\n".utf8)) == nil)
        #expect(VmstatReader.parse(Array("nr_foll_pin_acquired 5\nnr_foll_pin_released 9\n".utf8))?.outstanding == 0)
    }

    @Test func meminfoTotalsMatchTheCapturedFile() throws {
        let text = try Self.text("meminfo.txt")
        let m = MeminfoReader.parse(Array(text.utf8))
        #expect(m.memTotalBytes == Self.field(text, "MemTotal") && m.memTotalBytes != nil)
        #expect(m.memAvailableBytes == Self.field(text, "MemAvailable") && m.memAvailableBytes != nil)
        #expect(m.mlockedBytes == Self.field(text, "Mlocked"))
        #expect(m.unevictableBytes == Self.field(text, "Unevictable"))
        #expect(m.hugePagesTotal == Self.field(text, "HugePages_Total"))
        #expect(m.hugePagesFree == Self.field(text, "HugePages_Free"))
        #expect(m.hugepageSizeBytes == Self.field(text, "Hugepagesize"))
        // The host's kernel has no CONFIG_CMA: absent, not zero.
        #expect(m.cmaTotalBytes == Self.field(text, "CmaTotal"))
    }

    @Test func meminfoHugetlbAndCmaInUse() {
        let text =
            "Mlocked: 8 kB\nHugePages_Total:      10\nHugePages_Free:        4\nHugepagesize:       2048 kB\nCmaTotal:  65536 kB\nCmaFree: 1024 kB\n"
        let m = MeminfoReader.parse(Array(text.utf8))
        #expect(m.hugetlbInUseBytes == 6 * 2048 * 1024)
        #expect(m.hugetlbTotalBytes == 10 * 2048 * 1024)
        #expect(m.cmaTotalBytes == 65536 * 1024 && m.cmaFreeBytes == 1024 * 1024)
        #expect(m.mlockedBytes == 8192)
    }

    @Test func zoneinfoMovableZonesMatchTheCapturedFile() throws {
        let text = try Self.text("zoneinfo.txt")
        let zones = ZoneinfoReader.parse(Array(text.utf8))
        let nodes = text.split(separator: "\n").filter { $0.hasPrefix("Node") && $0.hasSuffix("Movable") }.count
        #expect(zones.count == nodes)
        #expect(zones.allSatisfy { $0.presentPages == 0 && $0.freePages == 0 })
    }

    @Test func zoneinfoMovableZoneOfTwoNodes() {
        let text = """
            Node 0, zone   Normal
              pages free     1000
                    present  5000
            Node 0, zone  Movable
              pages free     300
                    min      0
                    present  4096
                    managed  4096
            Node 1, zone  Movable
              pages free     7
                    present  8
            Node 1, zone   Device
              pages free     0
                    present  99
            """
        #expect(
            ZoneinfoReader.parse(Array(text.utf8)) == [
                MovableZone(node: 0, presentPages: 4096, freePages: 300), MovableZone(node: 1, presentPages: 8, freePages: 7),
            ])
    }

    @Test func ioUringFdinfoBuffersMatchTheCapturedFile() throws {
        let ring = IoUringFdinfo.parse(try Self.bytes("fdinfo-io_uring.txt"), fd: 3)
        #expect(ring.userBufs == 1)
        #expect(ring.buffers == [IoUringBuffer(address: 0x7f3c_36e0_0000, length: 8_388_608)])
        #expect(ring.pinnedPages == 2048)
    }

    @Test func ioUringFdinfoIn61FormatWithUnalignedBuffers() {
        let text = """
            UserFiles:\t0
            UserBufs:\t3
                0: 0x7f0000000000/4096
                1: 0x7f0000001800/4096
              123: 0x7f0000010000/1
            PollList:
            """
        let ring = IoUringFdinfo.parse(Array(text.utf8), fd: 7)
        #expect(ring.userBufs == 3 && ring.buffers.count == 3)
        // An unaligned 4 KiB buffer spans two pages, a 1-byte one pins a whole page.
        #expect(ring.pinnedPages == 1 + 2 + 1)
        #expect(ring.registeredBytes == 8193)
    }

    @Test func ioUringFdinfoSparseSlotsAreSkippedNotTheEndOfTheTable() {
        let text = "UserBufs:\t3\n    0: <none>\n    1: 0x7f0000000000/8192\n    2: <none>\nPollList:\n"
        let ring = IoUringFdinfo.parse(Array(text.utf8), fd: 4)
        #expect(ring.userBufs == 3 && ring.buffers == [IoUringBuffer(address: 0x7f00_0000_0000, length: 8192)])
    }

    @Test func ioUringFdinfoWithoutBufferTableIsUnknownNotEmpty() {
        // 6.18 leaves the table out when the ring's lock is busy; a malformed line ends it.
        #expect(IoUringFdinfo.parse(Array("pos:\t0\nflags:\t02000002\n".utf8), fd: 3).userBufs == nil)
        let garbage = IoUringFdinfo.parse(Array("UserBufs:\t2\n    0: 0xzz/12\n    1: 0x1000/4096\n".utf8), fd: 3)
        #expect(garbage.userBufs == 2 && garbage.buffers.isEmpty)
        let huge = IoUringFdinfo.parse(Array("UserBufs:\t1\n    0: 0xffffffffffffffffff/1\n".utf8), fd: 3)
        #expect(huge.buffers.isEmpty)
    }

    @Test func devicesAreNamedByMajorAndMiscMinor() throws {
        let devices = """
            Character devices:
              1 mem
             10 misc
             81 video4linux
            226 drm
            231 infiniband_verbs
            509 vfio-dev
            510 vfio
            Block devices:
             81 video4linux
            """
        let misc = "196 vfio\n 59 iommu\n 58 pinctl\n234 btrfs-control\n"
        let c = DeviceClassifier(devices: Array(devices.utf8), misc: Array(misc.utf8))
        #expect(c.classify(major: 81, minor: 0) == .v4l2)
        #expect(c.classify(major: 226, minor: 128) == .drm)
        #expect(c.classify(major: 231, minor: 192) == .rdmaUverbs)
        #expect(c.classify(major: 509, minor: 0) == .vfio && c.classify(major: 510, minor: 3) == .vfio)
        #expect(c.classify(major: 10, minor: 196) == .vfio)
        #expect(c.classify(major: 10, minor: 59) == .iommufd)
        #expect(c.classify(major: 10, minor: 58) == .pinctl)
        #expect(c.classify(major: 10, minor: 234) == nil)
        #expect(c.classify(major: 1, minor: 3) == nil)
        // The host's own tables name none of these.
        let host = DeviceClassifier(devices: try Self.bytes("devices.txt"), misc: try Self.bytes("misc.txt"))
        #expect(host.classify(major: 1, minor: 3) == nil && host.classify(major: 10, minor: 234) == nil)
    }

    @Test func cgroupPathPrefersTheV2Line() {
        #expect(
            String(decoding: ProcessScan.cgroupPath(Array("9:name=systemd:/a\n0::/system.slice/x.service\n".utf8)), as: UTF8.self)
                == "/system.slice/x.service")
        #expect(String(decoding: ProcessScan.cgroupPath(Array("4:memory:/docker/abc\n".utf8)), as: UTF8.self) == "/docker/abc")
        #expect(String(decoding: ProcessScan.cgroupPath(Array("0::/\n".utf8)), as: UTF8.self) == "/")
        #expect(String(decoding: ProcessScan.cgroupPath([]), as: UTF8.self) == "")
    }

    @Test func statusWithoutVmLinesIsNoAddressSpace() throws {
        #expect(ProcessScan.pinAndLock(Array("Name:\tkthreadd\nState:\tS\n".utf8)) == nil)
        let status = try String(
            contentsOf: repoRoot.appendingPathComponent("Tests/PinctlKitTests/Fixtures/linux-6.18/status.txt"), encoding: .utf8)
        let pl = try #require(ProcessScan.pinAndLock(Array(status.utf8)))
        #expect(pl.0 == Self.field(status, "VmPin") && pl.1 == Self.field(status, "VmLck"))
    }

    @Test func rowAttributionTakesTheLargerOfIoUringAndVmPin() {
        var row = CensusRow(
            pid: 1, comm: "x", commBytes: nil, cgroup: "/", vmPinBytes: 0, vmLckBytes: 4096, lockedVMAs: [],
            ioUringRings: [IoUringRing(fd: 3, userBufs: 1, buffers: [IoUringBuffer(address: 0x1000, length: 8192)])], deviceFds: [])
        #expect(row.attributedPinPages == 2 && row.bytes == 4096 + 8192)
        row.vmPinBytes = 16384
        #expect(row.attributedPinPages == 4 && row.bytes == 4096 + 16384)
    }

    @Test func pinRatesRefuseCountersThatWentBackwards() {
        let a = FollPinCounters(acquired: 100, released: 50)
        let b = FollPinCounters(acquired: 300, released: 150)
        #expect(PinRates(from: a, to: b, seconds: 2) == PinRates(from: a, to: b, seconds: 2))
        #expect(PinRates(from: a, to: b, seconds: 2)?.acquiredPerSecond == 100)
        #expect(PinRates(from: b, to: a, seconds: 2) == nil)
        #expect(PinRates(from: a, to: b, seconds: 0) == nil)
    }

    /// mountinfo lines as fs/proc_namespace.c prints them: optional fields before the "-",
    /// a mount point with an escaped blank (\040), and lines that are not one; fdinfo's
    /// mnt_id as fs/proc/fd.c prints it.
    @Test func mountTypesComeFromMountinfoAndFdinfo() {
        let mountinfo = """
            22 27 0:21 / /proc rw,relatime shared:12 - proc proc rw
            24 27 0:6 / /dev rw,relatime shared:2 master:1 - devtmpfs devtmpfs rw,size=1k
            61 24 0:55 / /dev/shm/my\\040mnt rw,nosuid - fuse.sshfs host:/ rw,user_id=0
            77 27 0:60 / /tmp/x rw - tmpfs tmpfs rw
            garbage line
            88 27 0:61 / /y rw
            """
        let types = MountTypes.parse(mountinfo: Array(mountinfo.utf8))
        #expect(types == [22: "proc", 24: "devtmpfs", 61: "fuse.sshfs", 77: "tmpfs"])
        #expect(MountTypes.mountID(fdinfo: Array("pos:\t0\nflags:\t02100002\nmnt_id:\t61\nino:\t3\n".utf8)) == 61)
        #expect(MountTypes.mountID(fdinfo: Array("pos:\t0\nflags:\t02\n".utf8)) == nil)
        #expect(!MountTypes.answeredByTheKernel.contains("fuse.sshfs") && MountTypes.answeredByTheKernel.contains("devtmpfs"))
    }
}

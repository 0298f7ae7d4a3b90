import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The RDMA netlink resource dump's decoder on replies captured from Debian's 6.12 kernel
/// in the VM (rdma_rxe on a dummy netdev, one 16 MiB ibv_reg_mr by pid 169: what
/// `rdma resource show mr` printed as "dev rxe0 mrn 0 rkey 0x242 lkey 0x242 mrlen 16777216
/// pdn 1 pid 169"), on garbled variants of them, and the regions' way into the rows and
/// the three renderings.
@Suite struct RdmaNetlinkTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }.utf8.map { NumberParsing.digitValue($0)! }
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(digits[$0] << 4 | digits[$0 + 1]) }
    }

    /// RDMA_NLDEV_CMD_GET dump, sequence 7: one device message, then NLMSG_DONE (0).
    static let deviceList = bytes(
        """
        74000000 01140200 07000000 b0000000 08000100 00000000 09000200 72786530
        00000000 08000300 01000000 0c000400 763c2201 c0010000 0c000600 701b61fe
        ff78bf48 0c000700 701b61fe ff78bf48 05000e00 01000000 05005400 00000000
        05006500 01000000 09004300 726f6365 00000000 14000000 03000200 07000000
        b0000000 00000000
        """)

    /// RDMA_NLDEV_CMD_RES_MR_GET dump of index 0 (as root: the keys included), then DONE.
    static let mrDump = bytes(
        """
        60000000 0d140200 07000000 b0000000 08000100 00000000 09000200 72786530
        00000000 3c002800 38002900 08002a00 42020000 08002b00 42020000 0c002d00
        00000001 00000000 08003e00 00000000 08003c00 01000000 08001c00 a9000000
        14000000 03000200 07000000 b0000000 00000000
        """)

    /// The dump of an index with no device: NLMSG_DONE carrying -EINVAL.
    static let noSuchDevice = bytes("14000000 03000200 07000000 b0000000 eaffffff")

    static let mrType: UInt16 = 0x140d
    static let getType: UInt16 = 0x1401

    @Test func theKernelsDeviceListNamesRxe0() throws {
        let b = try RdmaNetlinkDump.decode(NetlinkBytes(Self.deviceList), type: Self.getType, sequence: 7, request: "list")
        #expect(b.done)
        #expect(b.devices == [RdmaDevice(index: 0, name: "rxe0")])
        #expect(b.regions.isEmpty)
    }

    @Test func theKernelsMRDumpGivesLengthPidAndIdsButNoKeys() throws {
        let b = try RdmaNetlinkDump.decode(NetlinkBytes(Self.mrDump), type: Self.mrType, sequence: 7, request: "mr")
        #expect(b.done)
        #expect(
            b.regions == [
                RdmaMemoryRegion(device: "rxe0", deviceIndex: 0, mrn: 0, length: 16 << 20, pid: 169, pdn: 1)
            ])
        #expect(b.regions[0].pinnedPages == 4096)
        let json = try renderJSON(b.regions[0])
        #expect(!json.contains("key") && !json.contains("578"), "no lkey or rkey (0x242 = 578) in \(json)")
    }

    @Test func aDumpForAMissingDeviceIsTheKernelsEINVAL() {
        #expect(throws: RdmaNetlinkError.kernel(request: "mr", errno: EINVAL)) {
            try RdmaNetlinkDump.decode(NetlinkBytes(Self.noSuchDevice), type: Self.mrType, sequence: 7, request: "mr")
        }
    }

    @Test func repliesToAnotherSequenceAreSkipped() throws {
        let b = try RdmaNetlinkDump.decode(NetlinkBytes(Self.mrDump), type: Self.mrType, sequence: 8, request: "mr")
        #expect(!b.done && b.regions.isEmpty && b.stale == 2)
    }

    @Test func aBufferCutShortEndsAtTheLastWholeMessageOrIsAnError() throws {
        // Cut inside the DONE header: the MR message still decodes, the dump is not over.
        let cut = try RdmaNetlinkDump.decode(NetlinkBytes(Self.mrDump, count: 100), type: Self.mrType, sequence: 7, request: "mr")
        #expect(!cut.done && cut.regions.count == 1)
        // A header whose length runs past what arrived.
        var long = Self.mrDump
        long[0] = 0xf0
        #expect(throws: RdmaNetlinkError.self) {
            try RdmaNetlinkDump.decode(NetlinkBytes(long), type: Self.mrType, sequence: 7, request: "mr")
        }
    }

    @Test func garbledAttributesAreErrorsNotTraps() {
        func expectMalformed(_ patch: (inout [UInt8]) -> Void, _ comment: Comment) {
            var b = Self.mrDump
            patch(&b)
            do {
                _ = try RdmaNetlinkDump.decode(NetlinkBytes(b), type: Self.mrType, sequence: 7, request: "mr")
                Issue.record("decoded: \(comment)")
            } catch {
                guard case .malformed = error else {
                    Issue.record("\(error) for \(comment)")
                    return
                }
            }
        }
        expectMalformed({ $0[0x24] = 0x7c }, "the MR table claims more than the message holds")
        expectMalformed({ $0[0x28] = 0x02 }, "the entry claims 2 bytes, less than its header")
        expectMalformed({ $0[0x3c] = 0x08 }, "MRLEN of 4 bytes instead of 8 (the entry then has no length)")
        expectMalformed({ $0[0x1a] = 0x09 }, "DEV_NAME renumbered: a region message without its device")
        expectMalformed({ $0[0x04] = 0x0e }, "a message of another command in the reply")
    }

    @Test func aPidThatIsNotPositiveIsNoPid() throws {
        var b = Self.mrDump
        b[0x5c...0x5f] = [0xff, 0xff, 0xff, 0xff]
        let d = try RdmaNetlinkDump.decode(NetlinkBytes(b), type: Self.mrType, sequence: 7, request: "mr")
        #expect(d.regions.count == 1 && d.regions[0].pid == nil)
    }

    @Test func theRequestIsAHeaderAndTheDeviceIndex() {
        let r = RdmaNetlinkDump.request(type: Self.mrType, sequence: 7, deviceIndex: 3)
        #expect(r == Self.bytes("18000000 0d140103 07000000 00000000 08000100 03000000"))
        #expect(RdmaNetlinkDump.request(type: Self.getType, sequence: 1, deviceIndex: nil).count == 16)
    }

    static func row(pid: Int32, vmPin: UInt64) -> CensusRow {
        CensusRow(
            pid: pid, comm: "rdma-mr", commBytes: nil, cgroup: "/", vmPinBytes: vmPin, vmLckBytes: 0, lockedVMAs: [],
            ioUringRings: [], deviceFds: [DeviceFd(fd: 3, kind: .rdmaUverbs, path: "/dev/infiniband/uverbs0", major: 231, minor: 192)])
    }

    @Test func regionsGoToTheirOwnersRowAndTheRestStandApart() {
        var rows = [Self.row(pid: 10, vmPin: 4096), Self.row(pid: 169, vmPin: 0)]
        let user = RdmaMemoryRegion(device: "rxe0", deviceIndex: 0, mrn: 0, length: 16 << 20, pid: 169, pdn: 1)
        let orphan = RdmaMemoryRegion(device: "rxe0", deviceIndex: 0, mrn: 1, length: 8192, pid: 4242)
        let kernel = RdmaMemoryRegion(device: "rxe0", deviceIndex: 0, mrn: 2, length: 1 << 30, kernelOwner: "ib_core")
        let others = RdmaAttribution.attach([user, orphan, kernel], to: &rows)
        #expect(others == [orphan, kernel])
        // The MR's row sorts first now, and its pages count (VmPin 0 in this made-up row).
        #expect(rows.map(\.pid) == [169, 10])
        #expect(rows[0].rdmaMemoryRegions == [user])
        #expect(rows[0].attributedPinPages == 4096 && rows[0].bytes == 16 << 20)
        // VmPin counts the same pages: the larger, not the sum.
        var both = Self.row(pid: 169, vmPin: 16 << 20)
        both.rdmaMemoryRegions = [user]
        #expect(both.attributedPinPages == 4096)
        #expect(kernel.pinnedPages == 0 && orphan.pinnedPages == 2)
        #expect(RdmaMemoryRegion(device: "d", deviceIndex: 0, length: .max, pid: 1).pinnedPages == 1 << 52)
    }

    static func report() -> CensusReport {
        var row = Self.row(pid: 169, vmPin: 16 << 20)
        row.rdmaMemoryRegions = [RdmaMemoryRegion(device: "rxe\u{1b}0", deviceIndex: 0, mrn: 0, length: 16 << 20, pid: 169, pdn: 1)]
        let totals = CensusTotals(
            follPin: FollPinCounters(acquired: 4096, released: 0), follPinOutstandingPages: 4096, attributedPinPages: 4096,
            unattributedPinPages: 0, mlockedBytes: 0, unevictableBytes: 0, hugetlbInUseBytes: 0, hugetlbTotalBytes: 0,
            cmaTotalBytes: nil, cmaFreeBytes: nil, movableZones: [])
        let kernel = RdmaMemoryRegion(device: "rxe0", deviceIndex: 0, mrn: 1, length: 4096, kernelOwner: "rpcrdma")
        return CensusReport(
            kernel: "6.12", totals: totals, rows: [row], processesScanned: 2, processesVanished: 0, processesUnreadable: 0,
            missingSources: [], deep: nil, scanSeconds: 0.01,
            rdma: RdmaCensus(devices: [RdmaDevice(index: 0, name: "rxe0")], otherRegions: [kernel], regionCount: 2))
    }

    @Test func textShowsEachRegionUnderItsRowAndKernelRegionsApart() {
        let lines = CensusTextRendering.render(Self.report()).split(separator: "\n").map(String.init)
        #expect(lines.contains("    rdma mr 0 on rxe\\x1b0: 16 MiB, 4096 pages pinned, pid 169 (pd 1)"), "\(lines)")
        #expect(lines.contains("RDMA: 1 device(s) (rxe0), 2 memory region(s), 1 in no process row"))
        #expect(lines.contains("    rdma mr 1 on rxe0: 4 KiB, kernel (rpcrdma)"))
    }

    @Test func jsonHasTheRegionsUnderTheRowAndTheRdmaSection() throws {
        let json = try renderJSON(Self.report())
        #expect(
            json.contains(
                #""rdmaMemoryRegions":[{"device":"rxe\u001b0","deviceIndex":0,"length":16777216,"mrn":0,"pdn":1,"pid":169}]"#),
            "\(json)")
        #expect(json.contains(#""rdma":{"devices":[{"index":0,"name":"rxe0"}],"otherRegions":[{"device":"rxe0","#))
    }

    @Test(.enabled(if: promtool != nil, "promtool is missing: scripts/check/install-deps.sh installs Debian's prometheus package"))
    func openMetricsWithRegionsPassesPromtool() throws {
        let text = OpenMetricsRendering.render(Self.report())
        #expect(text.contains(#"pinctl_process_rdma_mr_bytes{pid="169",comm="rdma-mr",cgroup="/"} 16777216"#), "\(text)")
        #expect(text.contains(#"pinctl_process_rdma_memory_regions{pid="169",comm="rdma-mr",cgroup="/"} 1"#))
        #expect(text.contains(#"pinctl_rdma_unowned_mr_bytes{owner="kernel:rpcrdma"} 4096"#))
        #expect(text.contains("pinctl_rdma_memory_regions 2") && text.contains("pinctl_rdma_devices 1"))
        let file = NSTemporaryDirectory() + "pinctl-rdma-\(getpid()).prom"
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        defer { unlink(file) }
        let check = try run([promtool!, "check", "metrics"], stdinFile: file)
        #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "promtool: \(check.stdout) \(check.stderr)")
    }
}

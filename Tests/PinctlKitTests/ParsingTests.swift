import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

@Suite struct NumberParsingTests {
    @Test func hexAndDecimalAddressesParse() {
        #expect(NumberParsing.parseUInt64("0x7f3a2c000000") == 0x7f3a_2c00_0000)
        #expect(NumberParsing.parseUInt64("4096") == 4096)
        #expect(NumberParsing.parseUInt64("0xffffffffffffffff") == UInt64.max)
    }

    @Test func overflowingNumbersAreRejectedNotWrapped() {
        #expect(NumberParsing.parseUInt64("0x10000000000000000") == nil)
        #expect(NumberParsing.parseUInt64("18446744073709551616") == nil)
        #expect(NumberParsing.parseSize("16777216T") == nil)
        #expect(NumberParsing.parseSize("0xffffffffffffffffK") == nil)
    }

    @Test func sizesTakeBinarySuffixes() {
        #expect(NumberParsing.parseSize("64K") == 65536)
        #expect(NumberParsing.parseSize("2M") == 2 << 20)
        #expect(NumberParsing.parseSize("2MiB") == 2 << 20)
        #expect(NumberParsing.parseSize("1G") == 1 << 30)
        #expect(NumberParsing.parseSize("0x1000") == 4096)
        // A trailing B after hex digits is a digit, not "bytes".
        #expect(NumberParsing.parseSize("0x1B") == 27)
    }

    @Test func garbageIsNotANumber() {
        #expect(NumberParsing.parseUInt64("") == nil)
        #expect(NumberParsing.parseUInt64("0x") == nil)
        #expect(NumberParsing.parseUInt64("12ab") == nil)
        #expect(NumberParsing.parseSize("K") == nil)
        #expect(NumberParsing.parseSize("-4K") == nil)
    }
}

/// Numbers page-types, strtoul and a decimal reader would each read differently, and blanks
/// that sizes refuse, are refused everywhere a user types a number.
@Suite struct AmbiguousNumberTests {
    @Test func aLeadingZeroIsRefusedNotReadAsDecimalOrOctal() throws {
        #expect(NumberParsing.parseUInt64("010") == nil && NumberParsing.parseSize("064K") == nil)
        #expect(NumberParsing.parseUInt64("0") == 0 && NumberParsing.parseUInt64("0x010") == 16)
        for target in ["010000", "0x1000-02000"] {
            #expect {
                try InspectTarget.parse(target)
            } throws: {
                "\($0)".contains("leading zero")
            }
        }
        #expect {
            try PhysTarget.parse("010")
        } throws: {
            "\($0)".contains("leading zero")
        }
    }

    @Test func blanksAroundAnAddressOrDurationAreRefused() throws {
        #expect {
            try InspectTarget.parse(" 0x1000 ")
        } throws: {
            "\($0)".contains("blanks")
        }
        #expect(try InspectTarget.parse(" libc.so.6") == .mapping("libc.so.6"))
        #expect(NumberParsing.parseDuration(" 5s") == nil && NumberParsing.parseDuration("5s ") == nil)
    }

    @Test func aDurationBelowOneMillisecondIsRefusedAsNanosecondsAre() {
        #expect(NumberParsing.parseDuration("0.0000001s") == nil)
        #expect(NumberParsing.parseDuration("0.5ms") == nil)
        #expect(NumberParsing.parseDuration("1ms") == 0.001 && NumberParsing.parseDuration("0") == 0)
    }
}

@Suite struct InspectTargetTests {
    @Test func addressRangeAndLengthFormsParse() throws {
        #expect(try InspectTarget.parse("0x1000") == .address(0x1000))
        #expect(try InspectTarget.parse("0x1000-0x3000") == .range(start: 0x1000, end: 0x3000))
        #expect(try InspectTarget.parse("0x1000+64K") == .range(start: 0x1000, end: 0x1000 + 65536))
    }

    @Test func namesWithDashesAndPlusesAreMappings() throws {
        #expect(try InspectTarget.parse("[stack]") == .mapping("[stack]"))
        #expect(try InspectTarget.parse("libstdc++.so.6") == .mapping("libstdc++.so.6"))
        #expect(try InspectTarget.parse("ld-linux-x86-64.so.2") == .mapping("ld-linux-x86-64.so.2"))
        #expect(try InspectTarget.parse("/usr/lib/x86_64-linux-gnu/libc.so.6") == .mapping("/usr/lib/x86_64-linux-gnu/libc.so.6"))
    }

    @Test(arguments: ["0x3000-0x1000", "0xffffffffffffffff+8K", "0x1000+0", "0x1000+lots", "0xzz", ""])
    func badTargetsAreRejectedWithTheInputNamed(_ text: String) {
        #expect(throws: PinctlError.self) { try InspectTarget.parse(text) }
        do {
            _ = try InspectTarget.parse(text)
        } catch {
            #expect(error.exitStatus == ExitStatus.invalidInput)
            if !text.isEmpty { #expect(error.description.contains(text)) }
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func pidsAreDecimalOrSelf() throws {
        #expect(try ProcessRef.parse("self").isSelf)
        #expect(try ProcessRef.parse("1").pid == 1)
        #expect(throws: PinctlError.self) { try ProcessRef.parse("0") }
        #expect(throws: PinctlError.self) { try ProcessRef.parse("99999999999") }
        #expect(throws: PinctlError.self) { try ProcessRef.parse("-5") }
    }
}

@Suite struct ProcMapsTests {
    @Test func linesWithSpacesDeletedAndAnonNamesParse() throws {
        let text = """
            55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0                          [heap]
            7f3a2c000000-7f3a2c021000 r-xp 00002000 fd:01 1234567                    /opt/my app/lib thing.so (deleted)
            7f3a2d000000-7f3a2d200000 rw-p 00000000 00:00 0                          [anon:pinctl buffer]
            7f3a2e000000-7f3a2e001000 rw-s 00000000 00:01 42                         /memfd:holder (deleted)
            7f3a2f000000-7f3a2f010000 rw-p 00000000 00:00 0 \n
            """
        let vmas = try ProcMaps.parse(text)
        #expect(vmas.count == 5)
        #expect(vmas[0].path == "[heap]")
        #expect(vmas[1].path == "/opt/my app/lib thing.so (deleted)")
        #expect(vmas[1].basename == "lib thing.so")
        #expect(vmas[1].offset == 0x2000 && vmas[1].inode == 1_234_567 && vmas[1].dev == "fd:01")
        #expect(vmas[2].path == "[anon:pinctl buffer]")
        #expect(vmas[3].isShared && vmas[3].isWritable)
        #expect(vmas[4].path == "" && vmas[4].size == 0x10000)
    }

    @Test func nonMapsTextIsAnError() {
        #expect(throws: PinctlError.self) { try ProcMaps.parse("hello world\n") }
    }
}

@Suite struct DecoderTests {
    @Test func presentEntryGivesPFNAndBits() {
        let e = PagemapEntry(raw: (1 << 63) | (1 << 56) | (1 << 55) | 0x1234)
        #expect(e.present && e.exclusive && e.softDirty && !e.swapped)
        #expect(e.pfn == 0x1234)
    }

    @Test func swappedEntryGivesTypeAndOffset() {
        let e = PagemapEntry(raw: (1 << 62) | (0x77 << 5) | 3)
        #expect(e.swapped && !e.present && e.pfn == nil)
        #expect(e.swapType == 3 && e.swapOffset == 0x77)
    }

    @Test func guardEntryIsNotSwapped() {
        let e = PagemapEntry(raw: (1 << 62) | (1 << 58))
        #expect(e.guardRegion && !e.swapped)
    }

    @Test func unknownKPageFlagBitsAreNamedNotDropped() {
        let f = KPageFlags(rawValue: (1 << 45) | (1 << 22) | (1 << 15))
        #expect(f.names == ["compound_head", "thp", "bit45"])
    }

    /// include/linux/kernel-page-flags.h and tools/{vm,mm}/page-types.c: KPF_MAPPEDTODISK
    /// (6.1) became KPF_OWNER_2 (6.12); KPF_UNCACHED (39) went, KPF_ARCH_3 (42) came.
    @Test func bit34IsAnonExclusiveOnAnonPagesAndNamedAsEachKernelNamesIt() {
        let old = KPageFlagNames(kernelRelease: "6.1.0-56-amd64")
        let new = KPageFlagNames(kernelRelease: "6.12.48+deb12-amd64")
        let host = KPageFlagNames(kernelRelease: "6.18.44-fc-v769")
        for names in [old, new, host] {
            #expect(KPageFlags(rawValue: (1 << 12) | (1 << 34)).names(using: names) == ["anon", "anon_exclusive"])
        }
        #expect(KPageFlags(rawValue: (1 << 11) | (1 << 34)).names(using: old) == ["mmap", "mappedtodisk"])
        #expect(KPageFlags(rawValue: (1 << 11) | (1 << 34)).names(using: new) == ["mmap", "owner_2"])
        #expect(KPageFlags(rawValue: (1 << 11) | (1 << 34)).names(using: host) == ["mmap", "owner_2"])
        #expect(KPageFlags(rawValue: 1 << 39).names(using: old) == ["uncached"])
        #expect(KPageFlags(rawValue: 1 << 39).names(using: new) == ["bit39"])
        #expect(KPageFlags(rawValue: 1 << 42).names(using: new) == ["arch_3"])
        #expect(KPageFlags(rawValue: 1 << 42).names(using: old) == ["bit42"])
        for name in ["mappedtodisk", "owner_2", "anon_exclusive"] { #expect(KPageFlags.bit(named: name) == 34) }
    }

    @Test func everyStableBitHasItsKernelName() {
        let all = KPageFlags(rawValue: 0x7ff_ffff | (0x3ff << 32))
        let old = KPageFlagNames(kernelRelease: "6.1.0-56-amd64")
        #expect(all.names(using: old).count == 27 + 10)
        #expect(!all.names(using: old).contains { $0.hasPrefix("bit") })
        let new = KPageFlags(rawValue: 0x7ff_ffff | (0x37f << 32) | (1 << 42)).names(using: KPageFlagNames(kernelRelease: "6.12.0"))
        #expect(new.count == 27 + 10 && !new.contains { $0.hasPrefix("bit") })
    }
}

@Suite struct PageRowBuilderTests {
    @Test func compoundPagesCollapseToOneRowAndAbsentRunsToAnother() {
        var b = PageRowBuilder(collapse: true, capacity: 1024)
        defer { b.deallocate() }
        let head = KPageFlags([.compoundHead, .thp, .anon]).rawValue
        let tail = KPageFlags([.compoundTail, .thp, .anon]).rawValue
        let present: UInt64 = 1 << 63
        b.add(va: 0x200000, entry: present | 0x400, flags: head, inherited: false, mapcount: 1, cgroup: nil)
        for i in 1..<512 as Range<UInt64> {
            b.add(va: 0x200000 + i * 4096, entry: present | (0x400 + i), flags: tail, inherited: false, mapcount: 1, cgroup: nil)
        }
        for i in 0..<3 as Range<UInt64> {
            b.add(va: 0x400000 + i * 4096, entry: 0, flags: nil, inherited: false, mapcount: nil, cgroup: nil)
        }
        let rows = b.finish()
        #expect(rows.count == 2)
        #expect(rows[0].count == 512 && rows[0].compound && rows[0].pfn == 0x400)
        #expect(rows[1].count == 3 && !rows[1].present)
    }

    @Test func withoutCollapseEveryPageIsARow() {
        var b = PageRowBuilder(collapse: false, capacity: 8)
        defer { b.deallocate() }
        for i in 0..<4 as Range<UInt64> { b.add(va: i * 4096, entry: 0, flags: nil, inherited: false, mapcount: nil, cgroup: nil) }
        #expect(b.finish().count == 4)
    }
}

/// /proc/self/mountinfo as a walk reads it: mount points with the kernel's octal escapes.
@Suite struct MountPointsParsingTests {
    static let captured = """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        45 22 0:40 / /tmp/fz/tree/mnt rw,nosuid,nodev,relatime - fuse.pinctl-test pinctl-test-fuse rw,user_id=0
        46 22 0:41 / /mnt/a\\040b\\134c rw - nfs4 srv:/x rw
        47 22 0:42 / /sys/kernel/tracing rw - tracefs nodev rw
        48 22 0:43 / /bad\\09 rw - tmpfs tmpfs rw
        garbage line

        """

    @Test func pointsAreDecodedAndTyped() {
        let m = MountPoints.parse(mountinfo: Array(Self.captured.utf8))
        #expect(m.type(at: Array("/tmp/fz/tree/mnt".utf8)) == "fuse.pinctl-test")
        #expect(m.type(at: Array("/mnt/a b\\c".utf8)) == "nfs4")
        #expect(m.type(at: Array("/".utf8)) == "ext4")
        #expect(m.type(at: Array("/bad\\09".utf8)) == nil, "a malformed escape is no mount point")
        #expect(m.parents.contains(Array("/tmp/fz/tree".utf8)) && m.parents.contains(Array("/sys/kernel".utf8)))
        #expect(MountTypes.mayStopAnswering("fuse.pinctl-test") && MountTypes.mayStopAnswering("nfs4"))
        #expect(!MountTypes.mayStopAnswering("ext4") && !MountTypes.mayStopAnswering("tmpfs"))
        #expect(PseudoFileSystem.named(mountType: "tracefs") == "tracefs")
    }
}

/// /proc/locks as 6.18 printed it with a read lease being broken by an open for writing, a
/// flock, POSIX and OFD locks and a waiter: the lease is found by its device and inode.
@Suite struct ProcLocksParsingTests {
    static let captured = """
        1: POSIX  ADVISORY  WRITE 4547 fe:00:5359900 1073741824 1073742335
        2: FLOCK  ADVISORY  WRITE 4547 fe:00:16224149 0 EOF
        3: OFDLCK ADVISORY  READ -1 fe:00:16351286 201 201
        8: POSIX  ADVISORY  WRITE 5154 fe:00:16237272 0 EOF
        8: -> POSIX  ADVISORY  WRITE 5195 fe:00:16237272 0 EOF
        10: LEASE  BREAKING  UNLCK 5154 fe:00:16224151 0 EOF
        11: LEASE  ACTIVE    READ  77 00:2a:12 0 EOF
        12: LEASE  ACTIVE    WRITE 99999999999 00:2a:13 0 EOF

        """

    @Test func leasesAreFoundByDeviceAndInodeAndWaitersLeftOut() {
        let entries = ProcLocks.parse(Array(Self.captured.utf8))
        #expect(entries.count == 6, "the waiter and the pid past Int32 are left out: \(entries)")
        let lease = entries.first { $0.kind == "LEASE" }
        #expect(
            lease == ProcLocks.Entry(kind: "LEASE", state: "BREAKING", access: "UNLCK", pid: 5154, major: 0xfe, minor: 0, inode: 16_224_151)
        )
        #expect(entries.first { $0.kind == "OFDLCK" }?.pid == -1)
        #expect(entries.last == ProcLocks.Entry(kind: "LEASE", state: "ACTIVE", access: "READ", pid: 77, major: 0, minor: 0x2a, inode: 12))
        #expect(ProcLocks.parse(Array("1: LEASE ACTIVE READ 7 zz:00:1 0 EOF\n2: LEASE\n\n".utf8)).isEmpty)
    }
}

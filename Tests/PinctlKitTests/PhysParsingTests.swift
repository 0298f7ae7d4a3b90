import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// `phys`'s parsers: --flags (page-types -b, checked against the semantics its usage text
/// and parse_bits_mask/bit_mask_ok give), targets, /proc/zoneinfo spans, and why a frame is
/// unmovable.
@Suite struct PhysParsingTests {
    static func bit(_ n: Int) -> UInt64 { 1 << UInt64(n) }
    static let lru = bit(5), active = bit(6), slab = bit(7), buddy = bit(10), anon = bit(12), mlocked = bit(33)
    static let compound = bit(15) | bit(16)

    static func matches(_ exprs: [String], _ word: UInt64) throws -> Bool { try FlagExpression.parse(exprs).matches(word) }

    @Test func aCommaListWithoutTildeSelectsAnyOfItsFlags() throws {
        // page-types: "bit1,bit2  (flags & (bit1|bit2)) != 0"
        #expect(try FlagExpression.parseOne("lru,active") == FlagFilter(mask: Self.lru | Self.active, bits: .max))
        #expect(try Self.matches(["lru,active"], Self.lru))
        #expect(try Self.matches(["lru,active"], Self.active | Self.slab))
        #expect(try !Self.matches(["lru,active"], Self.slab))
    }

    @Test func aTildeMakesEveryListedFlagExact() throws {
        // page-types: "bit1,~bit2  (flags & (bit1|bit2)) == bit1"
        #expect(try FlagExpression.parseOne("mlocked,~lru") == FlagFilter(mask: Self.mlocked | Self.lru, bits: Self.mlocked))
        #expect(try Self.matches(["mlocked,~lru"], Self.mlocked | Self.anon))
        #expect(try !Self.matches(["mlocked,~lru"], Self.mlocked | Self.lru))
        #expect(try !Self.matches(["mlocked,~lru"], Self.anon))
        // "~lru" alone: lru clear.
        #expect(try Self.matches(["~lru"], Self.anon))
        #expect(try !Self.matches(["~lru"], Self.lru))
    }

    @Test func anEqualsSignGivesMaskAndValue() throws {
        // "bit1,bit2=bit1  (flags & (bit1|bit2)) == bit1"; "=bit1,bit2  flags == (bit1|bit2)"
        #expect(try FlagExpression.parseOne("anon,lru=anon") == FlagFilter(mask: Self.anon | Self.lru, bits: Self.anon))
        #expect(try FlagExpression.parseOne("=buddy") == FlagFilter(mask: .max, bits: Self.buddy))
        #expect(try Self.matches(["=buddy"], Self.buddy))
        #expect(try !Self.matches(["=buddy"], Self.buddy | Self.lru))
        #expect(try Self.matches(["=lru,active"], Self.lru | Self.active))
        #expect(try !Self.matches(["=lru,active"], Self.lru))
        // page-types' parse_flag_names stops at the next '=': "=lru=" is "=lru" and
        // "anon=lru=x" is "anon=lru" there (page-types 6.12 -b accepts both), so here too.
        #expect(try FlagExpression.parseOne("=lru=") == FlagExpression.parseOne("=lru"))
        #expect(try FlagExpression.parseOne("anon=lru=x") == FlagExpression.parseOne("anon=lru"))
    }

    @Test func severalExpressionsMustAllMatchAsSeveralDashBDo() throws {
        // bit_mask_ok returns 0 at the first filter that fails.
        #expect(try Self.matches(["slab", "~lru"], Self.slab))
        #expect(try !Self.matches(["slab", "~lru"], Self.slab | Self.lru))
        #expect(try !Self.matches(["slab", "lru"], Self.slab))
    }

    @Test func namesResolveAsPageTypesResolvesThem() throws {
        #expect(try FlagExpression.parseOne("compound").mask == Self.compound)
        #expect(try FlagExpression.parseOne("c").mask == Self.compound)  // a prefix of "compound" comes first
        #expect(try FlagExpression.parseOne("lr").mask == Self.lru)  // the first name in bit order with the prefix
        #expect(try FlagExpression.parseOne("a").mask == Self.active)
        #expect(try FlagExpression.parseOne("anon").mask == Self.anon)
        #expect(try FlagExpression.parseOne("anonymous").mask == Self.anon)
        #expect(try FlagExpression.parseOne("idle").mask == Self.bit(25))
        #expect(try FlagExpression.parseOne("anon_exclusive").mask == Self.bit(47))
        #expect(try FlagExpression.parseOne("readahead").mask == Self.bit(48))
        #expect(try FlagExpression.parseOne("0x400").mask == Self.buddy)
        #expect(try FlagExpression.parseOne("1024").mask == Self.buddy)
        #expect(try FlagExpression.parseOne("bit39").mask == Self.bit(39))
        // Empty tokens add nothing, as in page-types.
        #expect(try FlagExpression.parseOne("lru,,active,") == FlagFilter(mask: Self.lru | Self.active, bits: .max))
    }

    @Test func anUnknownNameIsAnErrorNamingIt() {
        for bad in ["lruu", "010", "0x", "bit64", "", "lru active", "lru\u{1b}", "x,~zz"] {
            #expect(throws: PinctlError.self, "\(bad.debugDescription)") { try FlagExpression.parseOne(bad) }
        }
        do {
            _ = try FlagExpression.parseOne("mlocked,~lruu")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("'lruu' is not a page flag"))
        }
        #expect(throws: PinctlError.self) { try FlagExpression.parse(Array(repeating: "lru", count: 65)) }
    }

    @Test func pageTypesWordMovesOverloadedBitsAndBack() {
        // anon + owner_2 is anon_exclusive; slab + active is slub_frozen; reclaim without
        // writeback is readahead (expand_overloaded_flags).
        let raw = Self.anon | Self.bit(34) | Self.bit(9)
        let word = PageTypesFlags.expand(raw)
        #expect(word == Self.anon | Self.bit(47) | Self.bit(48))
        #expect(PageTypesFlags.unexpand(word) == raw)
        #expect(PageTypesFlags.expand(Self.slab | Self.active | Self.bit(1)) == Self.slab | Self.bit(50) | Self.bit(51))
        #expect(PageTypesFlags.expand(Self.bit(9) | Self.bit(8)) == Self.bit(9) | Self.bit(8))
    }

    @Test func targetsParseEveryDocumentedForm() throws {
        #expect(try PhysTarget.parse("0x1000") == .frames(start: 0x1000, count: 1))
        #expect(try PhysTarget.parse("4096-4100") == .frames(start: 4096, count: 4))
        #expect(try PhysTarget.parse("0x1000+512") == .frames(start: 0x1000, count: 512))
        #expect(try PhysTarget.parse("phys:0x1000000+2M") == .frames(start: 0x1000, count: 512))
        #expect(try PhysTarget.parse("phys:0x1000800-0x1001001") == .frames(start: 0x1000, count: 2))
        #expect(try PhysTarget.parse("phys:0x1fff") == .frames(start: 1, count: 1))
        #expect(try PhysTarget.parse("block:40") == .block(40))
        #expect(try PhysTarget.parse("zone:Movable") == .zone(name: "Movable", node: nil))
        #expect(try PhysTarget.parse("zone:Normal:1") == .zone(name: "Normal", node: 1))
        #expect(try PhysTarget.parse("node:0") == .node(0))
        #expect(try PhysTarget.parse("all") == .all)
    }

    @Test func badTargetsAreErrorsNotWrappedNumbers() {
        for bad in [
            "", "-1", "0x10-0x10", "0x20-0x10", "5+0", "0xffffffffffffffff+2", "0x80000000000000", "block:", "block:x", "node:-1",
            "zone:", "zone:Nor mal", "zone:\u{1b}", "phys:", "phys:0x1000+0", "phys:0x1000+1Q", "0x1000 ", "abc", "node:4294967296",
            "zone:Normal:x",
        ] {
            #expect(throws: PinctlError.self, "\(bad.debugDescription)") { try PhysTarget.parse(bad) }
        }
    }

    @Test func zoneSpansMatchTheCapturedZoneinfo() throws {
        let bytes = Array(try Data(contentsOf: CensusParsingTests.dir.appendingPathComponent("zoneinfo.txt")))
        let zones = ZoneSpans.parse(bytes)
        #expect(zones.map(\.zone) == ["DMA", "DMA32", "Normal", "Movable", "Device"])
        #expect(zones[0] == ZoneSpan(node: 0, zone: "DMA", startPFN: 1, spanned: 4095, present: 3998, free: 3840))
        #expect(zones[2] == ZoneSpan(node: 0, zone: "Normal", startPFN: 1_048_576, spanned: 5_505_024, present: 5_505_024, free: 1_004_922))
        #expect(zones[3].spanned == 0)
    }

    @Test func holdsNameWhatKeepsAFrameFromMoving() {
        func holds(_ f: UInt64, pinned: Bool = false, ref: UInt32? = nil, map: UInt64? = nil) -> FrameHolds {
            FrameHolds.of(flags: f, mapcount: map, refcount: ref, dmaPinned: pinned)
        }
        #expect(holds(Self.buddy) == [])
        #expect(holds(Self.bit(32)) == [.reserved])
        #expect(holds(Self.slab | Self.compound) == [.slab])
        #expect(holds(Self.bit(26)) == [.pageTable])
        #expect(holds(0) == [.kernel])
        #expect(holds(Self.lru | Self.anon | Self.mlocked) == [.mlocked])
        #expect(!holds(Self.lru | Self.anon | Self.mlocked).isUnmovable)
        #expect(holds(Self.lru | Self.anon, pinned: true, ref: 1025, map: 1) == [.pinned])
        #expect(holds(Self.lru | Self.anon, ref: 2, map: 1) == [.extraReferences])
        #expect(holds(Self.lru | Self.anon, ref: 1, map: 1) == [])
        // A file page: one reference for the page cache.
        #expect(holds(Self.lru | Self.bit(11), ref: 2, map: 1) == [])
        #expect(holds(Self.bit(17) | Self.compound) == [.hugetlb])
        #expect(holds(Self.bit(20)) == [])
        // No flags in ZONE_MOVABLE: a free page on a per-CPU list, not a kernel allocation.
        #expect(FrameHolds.of(flags: 0, mapcount: nil, refcount: nil, dmaPinned: false, movableZone: true) == [])
        #expect(FrameHolds.of(flags: Self.lru | Self.anon, mapcount: 1, refcount: 1025, dmaPinned: true, movableZone: true) == [.pinned])
    }
}

extension PhysParsingTests {
    @Test func aBareEqualsSelectsFramesWithNoFlagsAsInPageTypes() throws {
        #expect(try FlagExpression.parseOne("=") == FlagFilter(mask: .max, bits: 0))
        #expect(try Self.matches(["="], 0))
        #expect(try !Self.matches(["="], Self.lru))
    }
}

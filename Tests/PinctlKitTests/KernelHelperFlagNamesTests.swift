import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The names the module's LIST and QUERY_FRAMES flags are shown by: every known bit by name
/// and every unknown one kept visible as bitN, so a newer module's bits are never dropped.
@Suite struct KernelHelperFlagNamesTests {
    @Test func frameFlagsAreNamedInBitOrderWithUnknownBitsKept() {
        let f = KernelFrameFlags(rawValue: KernelFrameFlags.dmaPinned.rawValue | KernelFrameFlags.hugetlb.rawValue | 1 << 20)
        #expect(f.names == ["dma_pinned", "hugetlb", "bit20"])
        #expect(f.description == "dma_pinned,hugetlb,bit20")
        #expect(KernelFrameFlags(rawValue: 0).description == "-")
        #expect(KernelFrameFlags(rawValue: 0x7ff).names.count == 11)
        #expect(!KernelFrameFlags(rawValue: 0x7ff).names.contains { $0.hasPrefix("bit") })
    }

    @Test func pinFlagsAreNamedWithUnknownBitsKept() {
        #expect(KernelPinFlags([.write, .longterm, .remote]).names == ["write", "longterm", "remote"])
        #expect(KernelPinFlags(rawValue: 1 << 31 | 1 << 3).names == ["get", "bit31"])
    }

    @Test func aHeldPinIsFollPinUnlessItIsAGetReference() {
        var pin = KernelHeldPin(
            handle: 1, address: nil, pages: 3, flags: ["get"], targetPID: nil, targetExited: false, chargedUID: 0,
            chargedToMemlock: false, pinnerPID: nil)
        #expect(!pin.isFollPin)
        pin.flags = ["longterm"]
        #expect(pin.isFollPin)
        let file = KernelHelperFile(
            fileID: 1, openerPID: 1, openerUID: 0, openerComm: "x", heldPages: 3, handles: 2, isThisDescriptor: false,
            pins: [
                pin,
                KernelHeldPin(
                    handle: 2, address: 0x1000, pages: 5, flags: ["get"], targetPID: 1, targetExited: false, chargedUID: 0,
                    chargedToMemlock: false, pinnerPID: 1),
            ])
        #expect(file.follPinPages == 3)
    }
}

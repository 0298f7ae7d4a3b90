import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

@Suite struct ProcStatusTests {
    @Test func memoryLinesAreReadInBytes() {
        let s = ProcStatus.parse("Name:\tholder\nVmLck:\t      16 kB\nVmPin:\t       0 kB\nVmRSS:\t    4968 kB\n")
        #expect(s.name == "holder")
        #expect(s.vmLck == 16 << 10)
        #expect(s.vmPin == 0)
        #expect(s.vmRSS == 4968 << 10)
        #expect(s.vmSwap == nil)
    }

    // Found by scripts/check/fuzz.sh (ProcStatus): "\r\n" is one Character, so splitting the text
    // on Characters joined the line before it to the VmSwap line and lost VmSwap.
    @Test func aLineEndsAtEveryNewlineEvenAfterACarriageReturn() {
        let s = ProcStatus.parse("SigQ:\t0/3 (x\r\nVmSwap:\t       1 kB\nVmLck:\t2 kB\r\nVmPin:\t3 kB\n")
        #expect(s.vmSwap == 1 << 10)
        #expect(s.vmPin == 3 << 10)
    }
}

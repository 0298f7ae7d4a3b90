import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

@Suite struct PinRangeSpecParsingTests {
    @Test func fileRangesTakeAnOffsetAndALength() throws {
        #expect(try PinRangeSpec.parse("file:/tmp/data@4096+8K") == .file(path: "/tmp/data", offset: 4096, length: 8192))
        #expect(try PinRangeSpec.parse("file:/tmp/data@100+1") == .file(path: "/tmp/data", offset: 0, length: 4096))
        #expect(try PinRangeSpec.parse("file:/tmp/data") == .file(path: "/tmp/data", offset: 0, length: nil))
    }

    // Found by scripts/check/fuzz.sh (PinRangeSpec): U+0600 is a prepend character, so "\u{600}@" is
    // one Character and Character searches missed the separator: the offset became part of
    // the path, and a '/' hid from the shm name check.
    @Test func separatorsAreFoundInBytesWhateverPrecedesThem() throws {
        #expect(try PinRangeSpec.parse("file:/tmp/x\u{600}@4096+4K") == .file(path: "/tmp/x\u{600}", offset: 4096, length: 4096))
        #expect(try PinRangeSpec.parse("shm:x\u{600}:1M") == .shm(name: "x\u{600}", size: 1 << 20))
        #expect(throws: PinctlError.self) { try PinRangeSpec.parse("shm:\u{600}/x:1M") }
    }
}

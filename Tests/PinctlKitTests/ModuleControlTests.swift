import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

@Suite struct ModuleControlTests {
    @Test func compressedModulesAreRecognisedByTheirSuffix() {
        #expect(ModuleControl.decompressor(for: "/lib/modules/6.12.0/updates/dkms/pinctl.ko.xz") == "xz")
        #expect(ModuleControl.decompressor(for: "pinctl.ko.zst") == "zstd")
        #expect(ModuleControl.decompressor(for: "pinctl.ko.gz") == "gzip")
        #expect(ModuleControl.decompressor(for: "KernelHelper/pinctl.ko") == nil)
        #expect(ModuleControl.decompressor(for: "pinctl.ko.xz.sig") == nil)
    }

    // Found by scripts/check/fuzz.sh (ModuleControl): U+0600 is a prepend character, so "\u{600}." is
    // one grapheme and String.hasSuffix(".ko.gz") was false for a name whose bytes end in it.
    @Test func theSuffixIsReadInBytesAsTheKernelReadsIt() {
        #expect(ModuleControl.decompressor(for: "\u{600}.ko.gz") == "gzip")
        #expect(ModuleControl.decompressor(for: "x.ko.xz\u{301}") == nil)
    }
}

import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// `pinctl flags` prints what `page-types -d` prints, line for line, and refuses what it cannot
/// name with one line and exit 2.
@Suite struct FlagDescriptionTests {
    /// Every bit of page-types' word has a letter, and only those: the letter string is as
    /// long as page-types' (43 columns in 6.12).
    @Test func everyNamedBitHasOneLetter() throws {
        #expect(Set(PageFlagDescription.letters.keys) == Set(PageTypesFlags.names.map(\.bit)))
        let zero = try PageFlagDescription.describe(word: 0, "0")
        #expect(zero.letters.count == PageTypesFlags.names.count)
    }

    @Test func namesAndNumbersDescribeTheSameWord() throws {
        let byName = try PageFlagDescription.describe("lru,active")
        let byNumber = try PageFlagDescription.describe("0x60")
        #expect(byName == byNumber && byName.names == ["lru", "active"])
        #expect(byName.pageTypesLine.hasPrefix("0x0000000000000060\t_____lA_"))
    }

    /// The same arguments through page-types 6.12 (scripts/check/build-page-types.sh) and pinctl.
    @Test(arguments: [
        "lru,active", "0x19000", "compound,~lru,anon", "mlocked,unevictable", "anon", "slab", "reserved,nopage", "0",
        "buddy=lru", "thp,compound_head", "mmap_exclusive,file,swap", "anon_exclusive,readahead", "0x8000000",
    ])
    func linesEqualPageTypesDescribe(expression: String) throws {
        let pt = try run([try PageTypes.binary(), "-d", expression])
        let ours = try pinctl(["flags", expression])
        if pt.status != 0 {
            #expect(ours.status == ExitStatus.invalidInput, "page-types refused '\(expression)' (\(pt.stderr)); pinctl: \(ours.stdout)")
            #expect(ours.stderr.split(separator: "\n").count == 1)
        } else {
            #expect(ours.status == 0, "\(ours.stderr)")
            #expect(ours.stdout == pt.stdout, "page-types: \(pt.stdout) pinctl: \(ours.stdout)")
        }
    }

    @Test func unknownNameIsOneLineAndExit2() throws {
        let r = try pinctl(["flags", "lru,nosuchflag"])
        #expect(r.status == ExitStatus.invalidInput)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("nosuchflag"))
        #expect(r.stdout.isEmpty)
    }
}

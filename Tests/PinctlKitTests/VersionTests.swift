import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// pinctl's version is written once (KernelHelper/include/pinctl/pinctl_version.h): the CLI,
/// the module's VERSION ioctl and the packaging scripts must all read the same one.
struct VersionTests {
    @Test func versionCodeDecodesToTheVersionString() {
        #expect(PinctlVersion.current.split(separator: ".").count == 3)
        #expect(PinctlVersion.string(code: PinctlVersion.code) == PinctlVersion.current)
        #expect(PinctlVersion.string(code: 1 << 32 | 2 << 16 | 3) == "1.2.3")
    }

    @Test func aModuleWithoutTheFieldHasNoVersion() {
        #expect(PinctlVersion.string(code: 0) == nil)
    }

    /// The shell scripts (scripts/pkg/build-debs.sh, scripts/vm/test.sh) parse the header with sed, the CLI
    /// through the C preprocessor: both must find the same version.
    @Test func shellScriptsReadTheSameVersionAsTheCLI() throws {
        let r = try run(["/bin/sh", repoRoot.appendingPathComponent("scripts/pkg/version.sh").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == PinctlVersion.current + "\n")
    }

    /// dkms.conf carries no version of its own: dh_dkms (and scripts/vm/test.sh) put the one in.
    @Test func dkmsConfTakesTheVersionFromThePackage() throws {
        let conf = try String(contentsOf: repoRoot.appendingPathComponent("KernelHelper/dkms.conf"), encoding: .utf8)
        let lines = conf.split(separator: "\n").filter { $0.hasPrefix("PACKAGE_VERSION=") }
        #expect(lines == [##"PACKAGE_VERSION="#MODULE_VERSION#""##])
    }

    @Test(.enabled(if: binariesBuilt, "run `swift build` first: the test runs .build/debug/pinctl"))
    func cliPrintsTheVersion() throws {
        let r = try pinctl(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout == PinctlVersion.current + "\n")
    }
}

import Foundation
import Testing

@testable import PinctlKit

/// What the parser is told, seen in the binary's help and usage errors: the exit statuses
/// and the values an option takes.
@Suite(.needsBuiltBinaries)
struct CommandLineHelpTests {
    @Test func rootHelpListsEveryExitStatus() throws {
        let r = try pinctl(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("EXIT STATUS\n"), "\(r.stdout)")
        for row in ExitStatus.table {
            let first = row.meaning.split(separator: "\n")[0]
            #expect(r.stdout.contains(" \(row.status) ") && r.stdout.contains(first), "\(row.status) \(first)")
        }
    }

    @Test func pinHelpListsEveryMethod() throws {
        let r = try pinctl(["pin", "--help"])
        #expect(r.status == 0)
        for method in PinMethod.allCases.map(\.rawValue) + ["auto"] {
            #expect(r.stdout.contains(" \(method) "), "\(method): \(r.stdout)")
        }
    }

    /// One status for every option value the parser refuses, with the choices named, as
    /// text on stderr or, under --json, as the error object too.
    @Test(arguments: [
        ["pin", "--method", "glue", "anon:4K"], ["pin", "--json", "--method", "glue", "anon:4K"],
        ["pin", "--dry-run", "--method=MLOCK", "anon:4K"],
    ])
    func aMethodOutsideItsChoicesIsAUsageError(_ args: [String]) throws {
        let r = try pinctl(args)
        #expect(r.status == ExitStatus.usage, "\(r.stderr)")
        #expect(r.stderr.contains("populate") && r.stderr.contains("auto"), "\(r.stderr)")
        if args.contains("--json") {
            #expect(r.stdout.contains("\"exitStatus\":64"), "\(r.stdout)")
        } else {
            #expect(r.stdout.isEmpty, "\(r.stdout)")
        }
    }
}

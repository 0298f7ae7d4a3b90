import ArgumentParser
import PinctlKit

struct Maps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maps",
        abstract: "List a process's VMAs with the pin-relevant facts, and its VmLck and VmPin.")

    @Argument(help: "A pid, or 'self'.")
    var pid: String

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() throws {
        do {
            let report = try MapsReport.read(try ProcessRef.parse(pid))
            print(json ? try renderJSON(report) : TextRendering.render(report), terminator: json ? "\n" : "")
        } catch let e as PinctlError {
            throw fail(e)
        }
    }
}

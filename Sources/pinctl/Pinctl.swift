import ArgumentParser
import PinctlKit

@main
struct Pinctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinctl",
        abstract: "Show where a process's memory lives physically, and pin it so that it stays put.",
        version: "0.1.0",
        subcommands: [Inspect.self, Maps.self, Pin.self, Module.self, CensusCommand.self]
    )

    /// ArgumentParser's main, with every error leaving through `report`: one line on stderr,
    /// control characters escaped, and under --json an ErrorReport on stdout.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Parsing failed, so no command says whether it has --json: the words decide.
            report(error, json: arguments.prefix(while: { $0 != "--" }).contains("--json"))
        }
        do {
            try command.run()
        } catch {
            report(error, json: (command as? JSONOutput)?.json ?? false)
        }
        Self.exit()
    }

    static func report(_ error: Error, json: Bool) -> Never {
        if let failure = error as? CommandFailure {
            let e = failure.error
            printError("pinctl: " + TerminalEscaping.escape(e.description))
            if json { printJSON(ErrorReport(e)) }
            exit(withError: ExitCode(e.exitStatus))
        }
        let status = exitCode(for: error).rawValue
        // Help, --version and ExitCode (a report already printed) are not failures to render.
        if json && status != 0 && !(error is ExitCode) {
            printJSON(ErrorReport(error: message(for: error), exitStatus: status))
        }
        exit(withError: error)
    }

    static func printJSON(_ r: ErrorReport) {
        print((try? renderJSON(r)) ?? #"{"error":"pinctl: the error could not be encoded","exitStatus":1}"#)
        flushOutput()
    }
}

/// A subcommand with a --json flag: its errors are JSON on stdout too.
protocol JSONOutput {
    var json: Bool { get }
}

extension Inspect: JSONOutput {}
extension Maps: JSONOutput {}
extension Pin: JSONOutput {}
extension Module.Status: JSONOutput {}
extension Module.Bench: JSONOutput {}
extension CensusCommand: JSONOutput {}

/// A PinctlError on its way to `Pinctl.report`, which prints it.
struct CommandFailure: Error {
    let error: PinctlError
}

/// Hands a PinctlError to `Pinctl.report` (one escaped line on stderr, JSON under --json,
/// its exit status).
func fail(_ error: PinctlError) -> CommandFailure {
    CommandFailure(error: error)
}

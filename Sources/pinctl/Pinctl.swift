import ArgumentParser
import PinctlKit
import PinctlRender

@main
struct Pinctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinctl",
        abstract: "Show where a process's memory lives physically, and pin it so that it stays put.",
        discussion: """
            EXIT STATUS
            \(ExitStatus.tableText)
            """,
        version: PinctlVersion.current,
        subcommands: [Inspect.self, Maps.self, Pin.self, Files.self, Module.self, CensusCommand.self, Phys.self, Flags.self]
    )

    /// ArgumentParser's main, with every error leaving through `report`: one line on stderr,
    /// control characters escaped, and under --json an ErrorReport on stdout.
    static func main() {
        StandardDescriptors.reserve()
        // Before the parser reads the width: a tiny COLUMNS or terminal made its help trap.
        HelpWidth.widenForHelp()
        let arguments = ArgumentEncoding.arguments()
        // Bytes that are not UTF-8 would reach the commands as U+FFFD: another name.
        do {
            try ArgumentEncoding.check()
        } catch {
            report(fail(error), json: OutputProbe.form(arguments))
        }
        if let why = ArgumentEncoding.tooMany(arguments.count) {
            // Not OutputProbe: it parses them all, as slowly as the parser would.
            let form: JSONErrorForm? = arguments.contains("--json") ? .json : arguments.contains("--json-lines") ? .jsonLines : nil
            report(ValidationError(why), json: form)
        }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Parsing failed, so there is no command to ask for its output options.
            report(error, json: OutputProbe.form(arguments))
        }
        do throws(PinctlError) {
            if command is ReadsProc { try ProcMount.require() }
        } catch {
            report(fail(error), json: (command as? JSONOutput)?.errorForm)
        }
        do {
            try command.run()
        } catch {
            report(error, json: (command as? JSONOutput)?.errorForm)
        }
        // A report that never reached stdout whole is a failure, not exit 0.
        do {
            try finishStandardOutput()
        } catch {
            report(fail(error), json: nil)
        }
        Self.exit()
    }

    /// The JSON form errors take on stdout: an object (`--json`) or a `"type":"error"`
    /// record (`--json-lines`).
    enum JSONErrorForm {
        case json, jsonLines
    }

    static func report(_ error: Error, json: JSONErrorForm?) -> Never {
        if let failure = error as? CommandFailure {
            let e = failure.error
            printError("pinctl: " + TerminalEscaping.escape(e.description))
            if let json, !failure.onStdout { printJSON(ErrorReport(e), json) }
            exit(withError: ExitCode(e.exitStatus))
        }
        let status = exitCode(for: error).rawValue
        // Help, --version and ExitCode (a report already printed) are not failures to render.
        guard status != 0 && !(error is ExitCode) else { exit(withError: error) }
        if let json { printJSON(ErrorReport(error: message(for: error), exitStatus: status), json) }
        // ArgumentParser's usage message quotes the arguments as typed: escaped like every
        // other error, line by line (its own lines kept).
        printError(TerminalEscaping.escapeLines(fullMessage(for: error)))
        exit(withError: ExitCode(status))
    }

    static func printJSON(_ r: ErrorReport, _ form: JSONErrorForm) {
        let text = (try? renderJSON(r)) ?? #"{"error":"pinctl: the error could not be encoded","exitStatus":1}"#
        // The same members, one line, with the record type first (JSON lines).
        print(form == .json ? text : #"{"type":"error","# + text.dropFirst())
        flushOutput()
    }
}

/// A command with the output options: its errors are JSON on stdout too, in the form asked for.
/// A command that reads processes or the kernel's counters under /proc: the root command
/// checks that /proc is mounted before it runs.
protocol ReadsProc {}

protocol JSONOutput {
    var output: OutputOptions { get }
    /// `--json-lines` (inspect and phys).
    var jsonLines: Bool { get }
}

extension JSONOutput {
    var jsonLines: Bool { false }

    var errorForm: Pinctl.JSONErrorForm? { output.json ? .json : jsonLines ? .jsonLines : nil }
}

extension Inspect: JSONOutput {}
extension Maps: JSONOutput {}
extension Pin: JSONOutput {}
extension Files: JSONOutput {}
extension Module.Status: JSONOutput {}
extension Module.Bench: JSONOutput {}
extension CensusCommand: JSONOutput {}
extension Phys: JSONOutput {}
extension Flags: JSONOutput {}

/// A PinctlError on its way to `Pinctl.report`, which prints it.
struct CommandFailure: Error {
    let error: PinctlError
    /// The command already wrote the error to stdout (a streamed report's end).
    var onStdout = false
}

/// Hands a PinctlError to `Pinctl.report` (one escaped line on stderr, JSON under --json
/// unless `onStdout` says the command wrote it there already, its exit status).
func fail(_ error: PinctlError, onStdout: Bool = false) -> CommandFailure {
    CommandFailure(error: error, onStdout: onStdout)
}

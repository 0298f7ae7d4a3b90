import ArgumentParser
import PinctlKit

@main
struct Pinctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pinctl",
        abstract: "Show where a process's memory lives physically, and pin it so that it stays put.",
        version: "0.1.0",
        subcommands: [Inspect.self, Maps.self, Pin.self, Module.self]
    )
}

/// Prints a PinctlError as one line on stderr and exits with its status.
func fail(_ error: PinctlError) -> ExitCode {
    printError("pinctl: \(error.description)")
    return ExitCode(error.exitStatus)
}

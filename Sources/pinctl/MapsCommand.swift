import ArgumentParser
import PinctlKit
import PinctlRender

struct Maps: ParsableCommand, ReadsProc {
    static let configuration = CommandConfiguration(
        commandName: "maps",
        abstract: "List a process's VMAs with the pin-relevant facts, and its VmLck and VmPin.")

    @Argument(help: "A pid, or 'self'.")
    var pid: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        var writer: (any MapsWriter)? = nil
        do throws(PinctlError) {
            let process = try ProcessRef.parse(pid)
            // VMAs stream to stdout as smaps is read (write(2) on fd 1: stdio holds nothing).
            flushOutput()
            let w = (output.json ? MapsFormat.json : .text).writer()
            writer = w
            try MapsScan.stream(process, to: w)
        } catch {
            throw fail(error, onStdout: writer?.fail(error) ?? false)
        }
    }
}

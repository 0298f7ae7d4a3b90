import ArgumentParser
import PinctlKit
import PinctlRender

#if canImport(Glibc)
    import Glibc
#endif

struct CensusCommand: ParsableCommand, ReadsProc {
    static let configuration = CommandConfiguration(
        commandName: "census",
        abstract: "Who pins and locks memory on this machine: system totals, then a row per process.",
        discussion: """
            Totals from /proc/vmstat (outstanding FOLL_PIN pins), /proc/meminfo and /proc/zoneinfo; a row \
            per process with VmPin or VmLck, io_uring registered buffers, or an open device that can pin \
            memory (vfio, iommufd, RDMA uverbs, V4L2, DRM, /dev/pinctl), sorted by bytes; and how much of \
            the outstanding pins the rows account for. Run as root to see every process.
            """)

    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Print the census in the Prometheus text format (node_exporter's textfile collector).")
    var openmetrics = false

    @Option(
        name: .customLong("output"),
        help: ArgumentHelp(
            "Write the output to FILE atomically (a temporary file in the same directory, fsync, rename) instead of stdout.",
            valueName: "output"))
    var outputFile: String?

    @Option(name: .long, help: "Refresh on the terminal every INTERVAL (2s, 500ms, 1m) until Ctrl-C, with pin/unpin rates.")
    var watch: String?

    @Option(name: .long, help: "With --watch: stop after N refreshes (needed when stdout is not a terminal).")
    var count: Int?

    @Flag(name: .long, help: "Ask /dev/pinctl about every present page of every process: DMA-pinned pages by process and range.")
    var deep = false

    @Option(
        name: .long,
        help:
            "With --deep: count and list only DMA-pinned pages whose flags match EXPR, as page-types -b (see `pinctl phys --help`). Needs root. Repeat to require several."
    )
    var flags: [String] = []

    func validate() throws {
        if !flags.isEmpty && !deep { throw ValidationError("--flags filters the pages --deep finds pinned: add --deep") }
        if output.json && openmetrics { throw ValidationError("--json and --openmetrics exclude each other: pick one format") }
        if let watch {
            guard let s = NumberParsing.parseDuration(watch), s > 0 else {
                throw ValidationError("--watch '\(watch)' is not an interval: write e.g. 2s, 500ms or 1m")
            }
            if output.json || openmetrics || outputFile != nil {
                throw ValidationError("--watch redraws a terminal: drop --json, --openmetrics and --output (or run without --watch)")
            }
        }
        if let count {
            guard watch != nil else { throw ValidationError("--count goes with --watch: add --watch INTERVAL") }
            guard count >= 1 else { throw ValidationError("--count \(count): give 1 or more refreshes") }
        }
        if let outputFile, outputFile.isEmpty { throw ValidationError("--output needs a file path") }
    }

    func run() throws {
        do {
            let options = CensusOptions(deep: deep, flags: flags.isEmpty ? nil : try FlagExpression.parse(flags))
            if let watch {
                try runWatch(interval: NumberParsing.parseDuration(watch) ?? 1, options: options)
                return
            }
            if let outputFile { try AtomicFileWriter.checkName(outputFile) }
            let report = try Census.take(options)
            let text: String
            if output.json {
                text = try renderJSON(report) + "\n"
            } else if openmetrics {
                text = OpenMetricsRendering.render(report)
            } else {
                text = CensusTextRendering.render(report)
            }
            if let outputFile {
                try AtomicFileWriter.write(Array(text.utf8), to: outputFile, mode: Census.outputMode(openMetrics: openmetrics))
            } else {
                print(text, terminator: "")
            }
        } catch let e as PinctlError {
            throw fail(e)
        }
    }

    func runWatch(interval: Double, options: CensusOptions) throws {
        let terminal = isatty(1) == 1
        if !terminal && count == nil {
            throw PinctlError.invalidInput("--watch redraws a terminal, and stdout is not one: add --count N to print N censuses in a row")
        }
        let sig = try CensusWatch.run(interval: interval, count: count, options: options) { report, rates in
            // Home and clear on a terminal (top's redraw); plain reports one after another otherwise.
            print((terminal ? "\u{1b}[H\u{1b}[2J" : "") + CensusTextRendering.render(report, rates: rates), terminator: "")
            flushOutput()
        }
        // As a hold: 0 for SIGINT, SIGTERM, SIGHUP; 128+N for any other (141: `| head -1`).
        let status = TerminationSignals.exitStatus(afterHoldEndedBy: sig)
        if let sig, status != ExitStatus.ok {
            printError("pinctl: census --watch ended by \(TerminationSignals.name(sig))")
            throw ExitCode(status)
        }
    }
}

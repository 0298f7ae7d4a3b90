import ArgumentParser
import PinctlKit
import PinctlRender

struct Inspect: ParsableCommand, ReadsProc {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the VMA, pagemap entry, page flags and mapcount behind an address, range or mapping.",
        discussion: """
            TARGET is an address (0x7f3a2c001000), a range (0x7f3a2c000000-0x7f3a2c200000 or \
            0x7f3a2c000000+2M; sizes take K, M, G), or a mapping name ([stack], [heap], [vdso], \
            a path, or a basename such as libc.so.6).
            PFNs need CAP_SYS_ADMIN and page flags need root; without them the report is \
            printed with those fields marked and pinctl exits 6 or 7.
            --json always has the page rows.
            """)

    @Argument(help: "A pid, or 'self'.")
    var pid: String

    @Argument(help: "An address, range or mapping name.")
    var target: String

    @Flag(name: .long, help: "Print a row per page (compound pages and absent runs as one row).")
    var pages = false

    @Flag(name: .long, help: "One row per page, even inside compound pages; reads every tail's flags.")
    var noCollapse = false

    @OptionGroup var output: OutputOptions

    @Flag(
        name: .long,
        help:
            "Print one JSON object per line: a \"vma\" record per VMA, a \"page\" record per row, then a \"summary\" (or \"error\") record."
    )
    var jsonLines = false

    @Flag(name: .long, help: "Do not use PAGEMAP_SCAN even where the kernel has it.")
    var noScan = false

    /// The rows as before holes were skipped (tests and scripts/bench/rows.sh compare).
    @Flag(name: .long, help: ArgumentHelp("Read the pagemap entries of holes PAGEMAP_SCAN proved empty.", visibility: .hidden))
    var readHoles = false

    @Option(
        name: .long,
        help:
            "Only rows of pages whose flags match EXPR, as page-types -b (see `pinctl phys --help`); one row per page. Repeat to require several."
    )
    var flags: [String] = []

    @Option(name: .long, help: "Only rows of pages charged to this memory cgroup: its directory, or @INODE (page-types -c).")
    var cgroup: String?

    func validate() throws {
        if output.json && jsonLines { throw ValidationError("--json and --json-lines are two formats: give one") }
    }

    func run() throws {
        var writer: (any InspectWriter)? = nil
        do {
            let process = try ProcessRef.parse(pid)
            let t = try InspectTarget.parse(target)
            let expression = flags.isEmpty ? nil : try FlagExpression.parse(flags)
            let inode = try cgroup.map { (c) throws(PinctlError) in try CgroupFilter.inode(c) }
            let filtering = expression != nil || inode != nil
            let options = InspectOptions(
                rows: pages || output.json || jsonLines || noCollapse || filtering, collapse: !noCollapse && !filtering, useScan: !noScan,
                skipHoles: !readHoles)
            var isAddress = false
            if case .address = t { isAddress = true }
            let format: InspectFormat =
                output.json ? .json : jsonLines ? .jsonLines : .text(showPages: pages || noCollapse || isAddress || filtering)
            // Rows stream to stdout as they are walked (write(2) on fd 1: stdio holds nothing).
            flushOutput()
            let w = filtering ? InspectRowFilter(format.writer(), flags: expression, cgroup: inode) : format.writer()
            writer = w
            let report = try Inspector(process: process).inspect(t, options: options, sink: w)
            try w.finish(report)
            if report.exitStatus != ExitStatus.ok {
                printError(
                    "pinctl: report incomplete: \(report.pfnHidden ? "PFNs hidden (needs CAP_SYS_ADMIN: run as root)" : "page flags unreadable (/proc/kpageflags needs root)")"
                )
                throw ExitCode(report.exitStatus)
            }
        } catch let e as PinctlError {
            throw fail(e, onStdout: writer?.fail(e) ?? false)
        }
    }
}

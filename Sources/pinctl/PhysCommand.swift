import ArgumentParser
import PinctlKit
import PinctlRender

struct Phys: ParsableCommand, ReadsProc {
    static let configuration = CommandConfiguration(
        commandName: "phys",
        abstract: "Show physical memory by frame: page flags, mapcount and memory cgroup per PFN, memory blocks, and who maps it.",
        discussion: """
            TARGET is one of:
              0x1f000            one page frame number (decimal or 0x hex)
              0x1f000-0x20000    frames from the first up to, not including, the second
              0x1f000+512        512 frames from the first
              phys:0x1f000000-0x20000000, phys:0x1f000000+2M
                                 a physical address range (sizes take K, M, G, T), widened to whole frames
              block:40           memory block 40 of /sys/devices/system/memory
              zone:Movable       every node's zone of that name (zone:Normal:1 for node 1's), from /proc/zoneinfo
              node:0             a NUMA node's span
              all                every frame
            Without --pages the text report is the summary: memory blocks (state, removable, valid \
            zones, frames that would keep them from going offline and why), counts per flag, and \
            the frames per flag combination, as page-types prints them. Needs root (/proc/kpageflags \
            is mode 0400).

            --flags EXPR selects frames as page-types -b does, on the flag word of page-types -r:
              --flags lru,active       lru or active set (any of a list)
              --flags mlocked,~lru     mlocked set and lru clear (with ~, every listed flag as given)
              --flags anon,lru=anon    of anon and lru, exactly anon set
              --flags =buddy           exactly buddy and nothing else
              --flags slab --flags ~reserved,slab      several --flags: every one must match
            Names: page-types' (anonymous, idle_page, compound_head, slub_frozen, ...) or inspect's \
            (anon, idle); compound means compound_head or compound_tail; a prefix is read as \
            page-types reads it (the first name in bit order: lr is lru); bitN; or a number (0x1000).

            Why a frame is unmovable (holds=): pinned and extra-references (KernelHelper module only), \
            reserved, slab, page-table, offline (driver-owned), hugetlb, kernel (allocated, on no LRU); \
            mlocked is shown but still migrates.

            --owners then walks every process's pagemap (PAGEMAP_SCAN skips holes) and lists which \
            process maps each selected frame, and at which address. Why won't block 40 go offline: \
            pinctl phys --unmovable --owners --pages block:40

            --map draws the target: a cell per memory block (per 2 MiB for block:N) showing the \
            worst frame in it: P pinned, K kernel, H hugetlb, L mlocked, M movable, . free (lower \
            case: under an eighth of the cell). --svg FILE writes it as SVG too: \
            pinctl phys --map all --svg memory.svg

            --json has the frame rows unless --summary.
            """)

    @Argument(help: "A PFN, PFN-END, PFN+N, phys:ADDR-END, phys:ADDR+SIZE, block:N, zone:NAME, node:N or all.")
    var target: String

    @Flag(name: .long, help: "Print a row per run of identical contiguous frames (as page-types -l).")
    var pages = false

    @Flag(name: .long, help: "One row per frame (as page-types -L).")
    var noCollapse = false

    @Option(name: .long, help: "Only frames whose flags match EXPR (page-types -b). Repeat to require several.")
    var flags: [String] = []

    @Option(name: .long, help: "Only frames charged to this memory cgroup: its directory, or @INODE (page-types -c).")
    var cgroup: String?

    @Flag(name: .long, help: "Only frames that would keep their memory block from going offline.")
    var unmovable = false

    @Flag(name: .long, help: "List the processes that map the selected frames, and where.")
    var owners = false

    @Flag(name: .long, help: "No frame rows in --json and --json-lines: the blocks, summary and flag combinations only.")
    var summary = false

    @Flag(name: .long, help: "Draw the target as a map: a cell per memory block (per 2 MiB for block:N), by what keeps it from moving.")
    var map = false

    @Option(name: .long, help: "With --map, also write the map as an SVG document to FILE.")
    var svg: String?

    @OptionGroup var output: OutputOptions

    @Flag(
        name: .long,
        help: "One JSON object per line: a \"frame\" record per row, an \"owner\" record per owner run, then a \"summary\" (or \"error\")."
    )
    var jsonLines = false

    @Flag(name: .long, help: "With --owners, read every pagemap entry instead of using PAGEMAP_SCAN.")
    var noScan = false

    func validate() throws {
        if output.json && jsonLines { throw ValidationError("--json and --json-lines are two formats: give one") }
        if noScan && !owners { throw ValidationError("--no-scan only changes --owners: give --owners too") }
        if map && (pages || noCollapse || owners || jsonLines || summary) {
            throw ValidationError(
                "--map draws cells, not frame rows or owners: leave out --pages, --no-collapse, --owners, --json-lines and --summary")
        }
        if svg != nil && !map { throw ValidationError("--svg writes the map: give --map too") }
        if summary && (pages || noCollapse) {
            throw ValidationError("--summary leaves the frame rows out: give it or --pages/--no-collapse, not both")
        }
    }

    func run() throws {
        var writer: (any PhysWriter)? = nil
        do {
            let t = try PhysTarget.parse(target)
            let expression = flags.isEmpty ? nil : try FlagExpression.parse(flags)
            let inode = try cgroup.map { (c) throws(PinctlError) in try CgroupFilter.inode(c) }
            var options = PhysOptions(
                rows: !map && (pages || noCollapse || ((output.json || jsonLines) && !summary)), collapse: !noCollapse, flags: expression,
                cgroup: inode,
                unmovableOnly: unmovable, owners: owners, useScan: !noScan)
            options.map = map
            if let svg { _ = try AtomicFileWriter.checkName(svg) }
            let inspector = try PhysInspector()
            let format: PhysFormat =
                output.json ? .json : jsonLines ? .jsonLines : .text(showFrames: pages || noCollapse, colour: map && terminalWantsColour())
            flushOutput()
            let w = format.writer()
            writer = w
            let report = try inspector.run(t, options: options, sink: w)
            if let svg, let m = report.map {
                try AtomicFileWriter.write(Array(PhysMapRendering.svg(m, title: "pinctl phys \(target)").utf8), to: svg, mode: 0o644)
            }
            try w.finish(report)
            if report.exitStatus != ExitStatus.ok {
                printError("pinctl: report incomplete: page flags unreadable (/proc/kpageflags needs root)")
                throw ExitCode(report.exitStatus)
            }
        } catch let e as PinctlError {
            throw fail(e, onStdout: writer?.fail(e) ?? false)
        }
    }
}

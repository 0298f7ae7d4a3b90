import ArgumentParser
import PinctlKit
import PinctlRender

struct Pin: ParsableCommand, ReadsProc {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Fault in and pin memory, prove that it stays put, hold it, and release every pin on the way out.",
        discussion: """
            RANGE is anon:SIZE[,thp|,hugetlb|,nothp], memfd:SIZE, shm:NAME:SIZE or \
            file:PATH[@OFFSET][+LEN]; sizes take K, M, G. file:DIR locks the page cache of every \
            regular file of a directory tree with mlock, as vmtouch -l -d does (links not followed \
            unless -f, FIFOs and devices never opened; checked against RLIMIT_MEMLOCK and memory \
            as a whole before anything is locked). Several ranges are held by one process and \
            released together.
            A literal +, @ or \\ in PATH is written \\+, \\@, \\\\ (quote it for the shell: 'file:/tmp/a\\+b'); \
            PATH may be a symlink, but only a regular file is opened; a shm: object that exists must \
            be a regular file the caller owns (links are never followed).
            Holds until SIGINT/SIGTERM/SIGHUP, or for --for (exit 0); any other terminating signal \
            (SIGPIPE, SIGQUIT, SIGUSR1...) also releases everything, and exits 128+N.
            Refuses, with the numbers, a range larger than MemAvailable or the memory cgroup's headroom.
            Under a service manager that sets NOTIFY_SOCKET (a systemd Type=notify unit, as \
            pinctl-hold@.service), sends READY=1 with MAINPID and a STATUS= line (range, pages, \
            VmLck, --verify's counts) once the pin and --verify are complete, and STOPPING=1 when \
            the hold ends; an address that cannot be reached is one warning line, never a failure. \
            While it pins, it looks every 2 s at whether it made progress since the last extension \
            (CPU time used, or pages made resident) and if so extends the start timeout by 10 s \
            (EXTEND_TIMEOUT_USEC, with a STATUS line), \
            so a pin longer than TimeoutStartSec= completes while one that hangs still times out.
            """)

    @Argument(help: "What to map and pin.")
    var range: String

    @Argument(help: "More ranges, held by the same process (each pinned and reported in turn).")
    var moreRanges: [String] = []

    @OptionGroup(title: "file:DIR options (the tree walk, as `pinctl files` and vmtouch)")
    var tree: TreeOptions

    @Option(name: .long, help: "How to pin.")
    var method: MethodArgument = .auto

    @Flag(
        name: .long,
        help:
            "Fault in for write (breaking COW) and ask for a writable pin. On a file: dirties every page, allocates its holes and changes its mtime."
    )
    var write = false

    @Flag(name: .long, help: "With --write: allow a file another user owns (refused otherwise).")
    var writeOthersFiles = false

    @Flag(
        name: .long,
        help:
            "With file:DIR: lock the files that can be opened and leave out those that cannot (each named on stderr) instead of failing (exit 9)."
    )
    var skipFailed = false

    @Flag(name: .long, help: "With mlock: MLOCK_ONFAULT.")
    var onFault = false

    @Flag(name: .long, inversion: .prefixedNo, help: "With kmod: FOLL_LONGTERM pins (the default), as for DMA.")
    var longterm = true

    @Option(name: .long, help: "With kmod: pin RANGE (an address range or mapping name) of this process instead of mapping one.")
    var pid: String?

    @Option(name: .long, help: "With uffd: fill every byte with this value (0-255, or 0x..) instead of zeros.")
    var fill: String?

    @Option(name: .long, help: "With uffd: fill the range with this file's bytes (zeros past its end).")
    var fillFrom: String?

    @Flag(name: .long, help: "With uffd: write-protect the held range and report every write fault.")
    var watchWrites = false

    @Flag(name: .long, help: "After pinning, try to move and evict the pages and report held/moved/evicted.")
    var verify = false

    @Option(name: .customLong("for"), help: "Hold for this long (90s, 5m, 1h; 0 releases at once), then release.")
    var holdFor: String?

    @Option(
        name: .long,
        help:
            "Write the holder's pid to this new file once the pin is in place (never over an existing file or through a link); removed on release."
    )
    var pidfile: String?

    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Say, per method, whether it would work on this range and why not; pin nothing.")
    var dryRun = false

    /// How often a Type=notify start's timeout is extended while the pin makes progress
    /// (tests shorten it to see extensions of a pin that takes a second).
    @Option(name: .long, help: ArgumentHelp("Seconds between start timeout extensions under NOTIFY_SOCKET.", visibility: .hidden))
    var extendInterval: Double = StartTimeoutExtender.defaultInterval

    func validate() throws {
        if !(0.05...60).contains(extendInterval) {
            throw ValidationError("--extend-interval \(extendInterval) is not between 0.05 and 60 seconds")
        }
        if let holdFor, NumberParsing.parseDuration(holdFor) == nil {
            throw ValidationError("--for '\(holdFor)' is not a duration: write e.g. 30s, 5m, 1h or 0")
        }
        if onFault && ![.mlock, .auto].contains(method) {
            throw ValidationError("--on-fault is an mlock option: use it with --method mlock")
        }
        if (fill != nil || fillFrom != nil || watchWrites) && method != .uffd {
            throw ValidationError("--fill, --fill-from and --watch-writes are uffd options: add --method uffd")
        }
        if pid != nil && ![.kmod, .auto].contains(method) {
            throw ValidationError("--pid pins another process's memory through the kernel helper: use --method kmod")
        }
        if !moreRanges.isEmpty && (verify || dryRun || pid != nil) {
            throw ValidationError("--verify, --dry-run and --pid take one range: give them one")
        }
        if fill != nil && fillFrom != nil {
            throw ValidationError("choose one of --fill and --fill-from")
        }
    }

    func run() throws {
        do {
            // Before any thread or pin: termination signals are then taken synchronously.
            TerminationSignals.block()
            let notifier = dryRun ? nil : SystemdNotifier.fromEnvironment()
            let what = ([range] + moreRanges).joined(separator: " ")
            let startup = try notifier.map { (n) throws(PinctlError) in
                try PinHold.startExtending(n, interval: extendInterval, what: pid.map { "\(what) of pid \($0)" } ?? what)
            }
            defer { startup?.stop() }
            if let pid { return try runRemote(pid, notifier: notifier, startup: startup) }
            let spec = try PinRangeSpec.parse(range)
            if !moreRanges.isEmpty || Self.isTree(spec) { return try runMany(notifier: notifier, startup: startup) }
            if dryRun {
                let verdicts = try PinPreflight.check(spec, write: write, writeOthersFiles: writeOthersFiles)
                print(output.json ? try renderJSON(verdicts) : TextRendering.render(verdicts), terminator: output.json ? "\n" : "")
                return
            }
            // The pidfile's directory and name are checked before anything is pinned.
            let pidfileSlot = try pidfile.map { (p) throws(PinctlError) in try Pidfile.prepare(p) }
            let helper = try KernelHelper.open()
            var options = PinOptions(method: method.choice, write: write, onFault: onFault)
            options.writeOthersFiles = writeOthersFiles
            options.kmodLoaded = helper != nil
            let session = try PinSession(spec: spec, options: options) { (m) throws(PinctlError) -> Pinner in
                try makePinner(m, helper: helper)
            }
            defer { session.release() }
            var report = try session.pin()
            if verify { report.verify = try session.verify() }
            try holdAndReport(report, pidfile: pidfileSlot, notifier: notifier, startup: startup)
        } catch let e as PinctlError {
            throw fail(e)
        }
    }

    /// Prints the report and holds it (PinHold: the pidfile, READY=1, the wait, STOPPING=1);
    /// the caller's defers then release everything. A hold that a signal other than SIGINT,
    /// SIGTERM or SIGHUP ended exits 128 + the signal.
    func holdAndReport(_ report: PinReport, pidfile: Pidfile?, notifier: SystemdNotifier?, startup: StartTimeoutExtender?) throws {
        let hold = PinHold(seconds: holdFor.flatMap(NumberParsing.parseDuration), pidfile: pidfile, notifier: notifier, startup: startup)
        let announce = {
            print(output.json ? ((try? renderJSON(report)) ?? "{}") : TextRendering.render(report), terminator: output.json ? "\n" : "")
            flushOutput()
        }
        let status = try hold.hold(range: report.range, status: TextRendering.statusLine(report), announce: announce) { event in
            switch event {
            case .notifyWarning(let warning): printError(warning)
            case .holding(let pid, let seconds):
                printError("holding pid \(pid) \(seconds.map { "for \($0) s" } ?? "until SIGINT or SIGTERM")")
            case .released(let range, let why): printError("released \(TerminalEscaping.escape(range)) (\(why))")
            }
        }
        if status != ExitStatus.ok { throw ExitCode(status) }
    }

    static func isTree(_ spec: PinRangeSpec) -> Bool {
        if case .file(let path, _, _) = spec { return TreePin.isDirectory(path) }
        return false
    }

    /// Several ranges, or a file:DIR tree: one MultiPin holds them all.
    func runMany(notifier: SystemdNotifier?, startup: StartTimeoutExtender?) throws {
        if verify || dryRun {
            throw PinctlError.invalidInput("--verify and --dry-run take one range of memory, not a file:DIR tree")
        }
        let pidfileSlot = try pidfile.map { (p) throws(PinctlError) in try Pidfile.prepare(p) }
        let helper = try KernelHelper.open()
        var options = PinOptions(method: method.choice, write: write, onFault: onFault)
        options.writeOthersFiles = writeOthersFiles
        options.kmodLoaded = helper != nil
        options.skipFailedFiles = skipFailed
        let pins = MultiPin()
        defer { pins.release() }
        let report = try pins.pin(
            [range] + moreRanges, options: options, walk: tree.walkOptions, note: { printError("pinctl: " + $0) }
        ) { (m) throws(PinctlError) -> Pinner in
            try makePinner(m, helper: helper)
        }
        try holdAndReport(report, pidfile: pidfileSlot, notifier: notifier, startup: startup)
    }

    /// `--pid`: the kernel helper pins another process's range.
    func runRemote(_ pidText: String, notifier: SystemdNotifier?, startup: StartTimeoutExtender?) throws {
        guard let helper = try KernelHelper.open() else {
            throw PinctlError.refused("--pid needs the KernelHelper module: load it (pinctl module load) so /dev/pinctl exists")
        }
        let pidfileSlot = try pidfile.map { (p) throws(PinctlError) in try Pidfile.prepare(p) }
        let process = try ProcessRef.parse(pidText)
        let target = try InspectTarget.parse(range)
        let session = try RemotePinSession(process: process, target: target, write: write, longterm: longterm, helper: helper)
        defer { session.release() }
        var report = try session.pin()
        if verify { report.verify = try session.verify() }
        try holdAndReport(report, pidfile: pidfileSlot, notifier: notifier, startup: startup)
    }

    func makePinner(_ m: PinMethod, helper: KernelHelper?) throws(PinctlError) -> Pinner {
        switch m {
        case .populate: return PopulatePin()
        case .mlock: return MlockPin(onFault: onFault)
        case .iouring: return IoUringPin()
        case .kmod:
            guard let helper else {
                throw .refused("--method kmod needs the KernelHelper module: load it (pinctl module load) so /dev/pinctl exists")
            }
            return KmodPin(helper: helper, longterm: longterm)
        case .uffd:
            return UffdPin(fill: try uffdFill(), watchWrites: watchWrites) { address, tid in
                printError("write fault at \(hex(address))\(tid != 0 ? " by thread \(tid)" : "")")
            }
        }
    }

    func uffdFill() throws(PinctlError) -> UffdFill {
        if let fillFrom { return .file(fillFrom) }
        guard let fill else { return .zero }
        guard let v = NumberParsing.parseUInt64(Substring(fill)), v <= 255 else {
            throw .invalidInput("--fill '\(fill)' is not a byte: give 0-255 or 0x00-0xff")
        }
        return .byte(UInt8(v))
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// `pinctl pin RANGE...`: several ranges (and file:DIR trees) held by one process, pinned in
/// order; a failure on any of them releases all that were pinned. Each range is checked
/// against memory on its own, as a single pin is (a tree against its whole size and
/// RLIMIT_MEMLOCK), and reported on its own under `parts`, with the sums above. Each file is
/// taken once (`SeenFiles`): the memory checks and the sums count it once.
public final class MultiPin {
    enum Part {
        case range(PinSession)
        case tree(TreePin)
    }

    private var parts: [Part] = []
    /// Every file the ranges took so far: each file is locked and counted once.
    private let seen = SeenFiles()
    /// Files of which a file:@OFFSET+LEN range took only part.
    private var partlyTaken = Set<FileIdentity>()
    private var released = false

    public init() {}

    /// Pins every range. `walk` holds file:DIR's patterns and limits; `note` prints one line
    /// (a skipped or unreadable path of a tree).
    public func pin(
        _ ranges: [String], options: PinOptions, walk: TreeWalkOptions, note: (String) -> Void,
        makePinner: (PinMethod) throws(PinctlError) -> Pinner
    ) throws(PinctlError) -> PinReport {
        var reports: [PinReport] = []
        do throws(PinctlError) {
            for text in ranges {
                if TerminationSignals.pending() { throw PinctlError.interrupted("interrupted before \(text): released") }
                let spec = try PinRangeSpec.parse(text)
                if case .file(let path, let offset, let length) = spec, TreePin.isDirectory(path) {
                    guard offset == 0, length == nil else {
                        throw PinctlError.invalidInput("'\(text)': \(path) is a directory: file:DIR takes no @OFFSET or +LEN")
                    }
                    reports.append(try pinTree(path, options: options, walk: walk, note: note))
                } else {
                    let session = try PinSession(spec: spec, options: options, makePinner: makePinner)
                    parts.append(.range(session))
                    try takeOnce(session.range, text)
                    reports.append(try session.pin())
                }
            }
        } catch {
            release()
            throw error
        }
        return Self.combine(reports)
    }

    /// A file: range's file joins `seen` (a later file:DIR leaves it out). Refused: a range
    /// of a file an earlier range took whole (a tree, or file:F), and a whole file of which
    /// an earlier range took part. Several @OFFSET+LEN parts of one file are the caller's
    /// own choice and stay allowed.
    func takeOnce(_ range: MappedRange, _ text: String) throws(PinctlError) {
        guard let id = range.fileIdentity else { return }
        let takenWhole = seen.contains(id) && !partlyTaken.contains(id)
        if takenWhole || (range.wholeFile && partlyTaken.contains(id)) {
            throw .invalidInput(
                "'\(text)': an earlier range of this pin already locks that file (the same file by another name, or inside a file:DIR): give each file once"
            )
        }
        seen.insert(id)
        if !range.wholeFile { partlyTaken.insert(id) }
    }

    func pinTree(_ path: String, options: PinOptions, walk: TreeWalkOptions, note: (String) -> Void) throws(PinctlError) -> PinReport {
        switch options.method {
        case .auto, .method(.mlock): break
        case .method(let m):
            throw .invalidInput(
                "file:\(PinRangeSpec.escapePath(path)) is a directory: a tree is locked with mlock, as vmtouch -l does; drop --method \(m.rawValue)"
            )
        }
        if options.write {
            throw .invalidInput("file:\(PinRangeSpec.escapePath(path)) is a directory: a tree is locked read-only; drop --write")
        }
        let tree = TreePin(root: path, walk: walk, onFault: options.onFault, seen: seen)
        try tree.check(try tree.plan())
        parts.append(.tree(tree))
        let t0 = SuspendingClock.now
        try tree.pin(report: note)
        // A tree pin that silently held less than the tree would pass for the whole of it.
        if tree.failed > 0 && !options.skipFailedFiles {
            throw .incomplete(
                "file:\(PinRangeSpec.escapePath(path)): \(tree.failed) path\(tree.failed == 1 ? "" : "s") of the tree could not be opened or read (each named above): nothing is held; fix them, leave them out (-i), or add --skip-failed to lock the rest"
            )
        }
        let elapsed = (SuspendingClock.now - t0).inSeconds
        let (present, runs) = try tree.residency()
        let status = ProcStatus.parse((try? readProcText("/proc/self/status")) ?? "")
        var r = PinReport(
            pid: getpid(), method: PinMethod.mlock.rawValue, chosenBecause: nil,
            detail: "mlock2 of each file's shared mapping" + Self.counted(tree.skipped, "path", "skipped")
                + Self.counted(tree.failed, "path", "could not be opened")
                + Self.counted(tree.alreadyLocked, "file", "locked once already (a hard link, or in an earlier range)"),
            range: "file:\(PinRangeSpec.escapePath(path))", start: "-", end: "-", backing: MappedRange.Backing.file.rawValue,
            bytes: tree.bytes, pages: tree.pages, residentPages: present, pinnedPages: present, pfnRuns: runs,
            totalMs: elapsed * 1000, pagesPerSecond: elapsed > 0 ? Double(tree.pages) / elapsed : 0,
            vmLck: status.vmLck, vmPin: status.vmPin, verify: nil, pfnHidden: present > 0 && runs == nil, trimmed: nil)
        r.files = tree.files
        return r
    }

    /// ", 3 paths skipped" (nothing for 0).
    static func counted(_ n: UInt64, _ noun: String, _ what: String) -> String {
        n == 0 ? "" : ", \(n) \(noun)\(n == 1 ? "" : "s") \(what)"
    }

    /// One range's report as it is; several as their sums, with each under `parts`.
    static func combine(_ reports: [PinReport]) -> PinReport {
        guard reports.count > 1, var total = reports.last else { return reports.first! }
        var methods: [String] = []
        for r in reports where !methods.contains(r.method) { methods.append(r.method) }
        total.method = methods.joined(separator: ",")
        total.chosenBecause = nil
        total.detail = ""
        total.range = reports.map(\.range).joined(separator: " ")
        total.start = "-"
        total.end = "-"
        total.backing = Set(reports.map(\.backing)).count == 1 ? reports[0].backing : "mixed"
        total.bytes = reports.reduce(0) { $0 &+ $1.bytes }
        total.pages = reports.reduce(0) { $0 &+ $1.pages }
        total.residentPages = reports.reduce(0) { $0 &+ $1.residentPages }
        total.pinnedPages = reports.reduce(0) { $0 &+ $1.pinnedPages }
        total.pfnRuns = reports.reduce(UInt64?(0)) { a, r in a.flatMap { x in r.pfnRuns.map { x &+ $0 } } }
        total.pfnHidden = reports.contains { $0.pfnHidden }
        total.totalMs = reports.reduce(0) { $0 + $1.totalMs }
        total.pagesPerSecond = total.totalMs > 0 ? Double(total.pages) / (total.totalMs / 1000) : 0
        total.trimmed = nil
        total.files = nil
        total.parts = reports
        // VmLck and VmPin of the last report were read after every range was pinned.
        return total
    }

    /// Releases every range, last first; safe to call more than once.
    public func release() {
        guard !released else { return }
        released = true
        for part in parts.reversed() {
            switch part {
            case .range(let s): s.release()
            case .tree(let t): t.release()
            }
        }
        parts = []
    }

    deinit { release() }
}

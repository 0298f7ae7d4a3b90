#if canImport(Glibc)
    import Glibc
#endif

/// How to inspect.
public struct InspectOptions: Sendable {
    /// Build per-page rows (text `--pages`, and JSON).
    public var rows: Bool
    /// Collapse compound pages and runs of identical absent entries into one row.
    public var collapse: Bool
    /// Use PAGEMAP_SCAN, where the kernel has it, to skip holes and find huge mappings.
    public var useScan: Bool
    /// Rows: take the holes PAGEMAP_SCAN proves empty without reading their entries (the
    /// rows are the same). false reads every entry, as before 6.7: for comparisons.
    public var skipHoles: Bool

    public init(rows: Bool = false, collapse: Bool = true, useScan: Bool = true, skipHoles: Bool = true) {
        self.rows = rows
        self.collapse = collapse
        self.useScan = useScan
        self.skipHoles = skipHoles
    }
}

/// `pinctl inspect`: one address, a range or a mapping of a live process, from /proc.
public final class Inspector {
    public let process: ProcessRef
    let tables: PhysicalPageReader
    /// The pagemap entries the last `inspect` read: what skipping holes saved.
    public private(set) var pagemapEntriesRead: UInt64 = 0

    public init(process: ProcessRef, tables: PhysicalPageReader = PhysicalPageReader()) {
        self.process = process
        self.tables = tables
    }

    /// The report, with every row in `pages` when `options.rows` (for small ranges and
    /// tests); `sink` streams the VMAs and rows instead, and `vmas` and `pages` stay empty.
    public func inspect(_ target: InspectTarget, options: InspectOptions = InspectOptions(), sink: (any InspectSink)? = nil)
        throws(PinctlError) -> InspectReport
    {
        let directory = try ProcessDirectory(process)
        // pagemap first: it holds the address space it was opened on, so a live one after
        // smaps (or maps) was read proves it was read whole (a seq_file read stops short,
        // silently, when the process exits or execs meanwhile).
        let pagemap = try PagemapReader(directory: directory)
        var opts = options
        if case .address = target { opts.rows = true }
        // The module's per-page state, opened next to pagemap so that both name one address
        // space, and through the directory so a recycled pid cannot stand in for the target.
        let kernelSource = opts.rows ? try Self.openKernelState(directory) : (source: nil, note: nil)
        let kernel = KernelRelease.current()
        let walker = PageWalker(pagemap: pagemap, directory: directory, tables: tables, options: opts)
        defer { pagemapEntriesRead = pagemap.entriesRead }
        var helperUsed = kernelSource.source != nil
        // A QUERY refused later (the device's or the mem file's rules) costs the rows their
        // kernel state, with a note, not the report.
        var helperRefused: String? = kernelSource.note
        if let source = kernelSource.source {
            walker.kernelQuery = { (start, pages) throws(PinctlError) in
                if helperRefused != nil { return [] }
                do throws(PinctlError) {
                    return try source.helper.query(addr: start, pages: pages, memory: source.memory, pid: source.pid)
                } catch {
                    guard case .permissionDenied(let why) = error else { throw error }
                    helperRefused = "no refcounts or DMA-pinned state from the kernel helper: its QUERY was refused: \(why)"
                    return []
                }
            }
        }
        // Without a sink (tests, small ranges) the VMAs are kept for the report; with one,
        // each goes out as it is read and nothing per VMA stays.
        var kept: [VMAReport] = []
        func emit(_ v: VMAReport) throws(PinctlError) {
            if let sink { try sink.vma(v) } else { kept.append(v) }
        }
        // The head goes out at the first VMA the target touches, so a target that touches
        // none is one error, with nothing written before it.
        var begun = false
        func begin() throws(PinctlError) {
            guard !begun else { return }
            begun = true
            guard let sink else { return }
            try sink.begin(InspectHead(pid: process.pid, target: target.description, kernel: kernel))
            if opts.rows { walker.rowSink = { (rows) throws(PinctlError) in try sink.rows(rows) } }
        }
        let touches = TargetResolver.mayTouch(target)
        var index = 0
        if opts.rows {
            // Rows start from /proc/PID/maps, which costs nothing per page: smaps walks the
            // page tables of every VMA of the process (tens of ms for a large one) and would
            // hold back the first row. Its counters, the per-VMA facts, are read after the
            // walk, for the VMAs then over the target (mappings may have changed meanwhile).
            try directory.streamMaps { (read) throws(PinctlError) in
                defer { index += 1 }
                var v = read
                v.unlinked = directory.unlinked(v)
                guard let seg = TargetResolver.segment(for: target, in: v, index: index) else { return }
                try begin()
                // A PMD-mapped THP on x86-64. Without smaps a hugetlb VMA is walked in 2 MiB
                // blocks too: every x86-64 huge page size is a multiple, so its rows are the
                // same (a 1 GiB page's blocks past the head are tails).
                try walker.walk(seg, hugePages: 512)
            }
            guard try pagemap.addressSpaceAlive() else { throw directory.addressSpaceGone(while: "its maps were read") }
            guard begun else { throw try Self.untouched(target, directory) }
            try directory.streamSmaps(wantFields: touches) { (read) throws(PinctlError) in
                var e = read
                e.vma.unlinked = directory.unlinked(e.vma)
                if touches(e.vma) { try emit(VMAReport(e)) }
            }
        } else {
            // The summary alone: smaps gives each VMA's counters and huge page size as its
            // pages are walked, one VMA at a time.
            try directory.streamSmaps(wantFields: touches) { (read) throws(PinctlError) in
                defer { index += 1 }
                var e = read
                e.vma.unlinked = directory.unlinked(e.vma)
                guard let seg = TargetResolver.segment(for: target, in: e.vma, index: index) else { return }
                try begin()
                try emit(VMAReport(e))
                var hugePages: UInt64 = 512
                if e.vmFlags.contains("ht"), let kps = e["KernelPageSize"], kps > PagemapReader.pageSize {
                    hugePages = kps >> PagemapReader.pageShift
                }
                try walker.walk(seg, hugePages: hugePages)
            }
            guard begun else {
                guard try pagemap.addressSpaceAlive() else { throw directory.addressSpaceGone(while: "its maps were read") }
                throw try Self.untouched(target, directory)
            }
        }
        guard try pagemap.addressSpaceAlive() else { throw directory.addressSpaceGone(while: "its maps were read") }

        var notes: [String] = []
        if let why = helperRefused {
            helperUsed = false
            notes.append(why)
        }
        if walker.scanUsed && !opts.rows {
            notes.append(
                "PAGEMAP_SCAN: populated regions cover \(walker.pagesRead) of \(walker.summary.pages) pages; the holes were skipped")
        } else if !opts.rows, let why = pagemap.scanUnsupportedReason {
            // Rows read every entry without PAGEMAP_SCAN as they always did: no note, so
            // that their output is the same on every kernel.
            notes.append("\(why): read every pagemap entry")
        }
        if walker.derivedEntries > 0 {
            notes.append(
                "pagemap entries of \(walker.derivedEntries) tail pages of PMD-mapped huge pages derived from their head's (6.15+ fills them from one PMD; --pages reads each)"
            )
        }
        if walker.inheritedPages > 0 {
            notes.append(
                "flags of \(walker.inheritedPages) tail pages of PMD-mapped huge pages read once at their head (--no-collapse reads each)")
        }
        let summary = walker.finishSummary()
        if walker.pfnHidden {
            notes.append("PFNs hidden: pagemap shows PFN 0 unless opened with CAP_SYS_ADMIN; run as root")
        }
        let names = KPageFlagNames.running
        return InspectReport(
            pid: process.pid, target: target.description, kernel: kernel,
            vmas: kept,
            pages: sink == nil ? walker.rows.map { PageRow($0, names: names) } : [],
            summary: summary, pfnHidden: walker.pfnHidden,
            pageTablesUnavailable: tables.unavailable.map { "\($0.file): \($0.reason)" },
            kernelHelper: helperUsed, notes: notes)
    }

    /// The error for a target that touches no VMA: the maps read whole, once, to name the
    /// nearest VMAs or the mapping names there are.
    static func untouched(_ target: InspectTarget, _ directory: ProcessDirectory) throws(PinctlError) -> PinctlError {
        TargetResolver.untouched(target, in: try ProcMaps.parse(bytes: directory.readBytes("maps")), process: directory.process)
    }

    /// Where QUERY answers come from: the module, and the target's /proc/PID/mem (nil for
    /// this process).
    struct KernelStateSource {
        let helper: KernelHelper
        let memory: FileDescriptor?
        let pid: Int32
    }

    /// The module and the target's mem file, read-only; nil without the module. A device
    /// this user may not open, or a process whose mem file needs more than pagemap's ptrace
    /// read access (attach: Yama may refuse it), costs the report its refcounts, with a note,
    /// not the report.
    static func openKernelState(_ directory: ProcessDirectory) throws(PinctlError) -> (source: KernelStateSource?, note: String?) {
        let process = directory.process
        let helper: KernelHelper
        let memory: FileDescriptor?
        do {
            guard let h = try KernelHelper.open() else { return (nil, nil) }
            helper = h
            memory = process.isSelf ? nil : try directory.open("mem")
        } catch {
            guard case .permissionDenied(let why) = error else { throw error }
            return (nil, "no refcounts or DMA-pinned state from the kernel helper: \(why)")
        }
        return (KernelStateSource(helper: helper, memory: memory, pid: process.pid), nil)
    }
}

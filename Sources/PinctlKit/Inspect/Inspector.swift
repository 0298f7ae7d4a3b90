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

    public init(rows: Bool = false, collapse: Bool = true, useScan: Bool = true) {
        self.rows = rows
        self.collapse = collapse
        self.useScan = useScan
    }
}

/// `pinctl inspect`: one address, a range or a mapping of a live process, from /proc.
public final class Inspector {
    public let process: ProcessRef
    let tables: PhysicalPageReader

    public init(process: ProcessRef, tables: PhysicalPageReader = PhysicalPageReader()) {
        self.process = process
        self.tables = tables
    }

    public func inspect(_ target: InspectTarget, options: InspectOptions = InspectOptions()) throws(PinctlError) -> InspectReport {
        let directory = try ProcessDirectory(process)
        // pagemap first: it holds the address space it was opened on, so a live one after
        // smaps was read proves smaps was read whole (a seq_file read stops short, silently,
        // when the process exits or execs meanwhile).
        let pagemap = try PagemapReader(directory: directory)
        var wantsRows = options.rows
        if case .address = target { wantsRows = true }
        // The module's per-page state, opened next to pagemap so that both name one address
        // space, and through the directory so a recycled pid cannot stand in for the target.
        let kernel = wantsRows ? try Self.openKernelState(directory) : (source: nil, note: nil)
        let smaps = try ProcSmaps.parse(bytes: directory.readBytes("smaps"), wantFields: TargetResolver.mayTouch(target))
        guard try pagemap.addressSpaceAlive() else { throw directory.addressSpaceGone(while: "its maps were read") }
        let vmas = smaps.map(\.vma)
        let segments = try TargetResolver.segments(for: target, in: vmas, process: process)
        var opts = options
        opts.rows = wantsRows
        let walker = PageWalker(pagemap: pagemap, directory: directory, tables: tables, options: opts)
        for seg in segments {
            let entry = smaps[seg.vmaIndex]
            let hugePages: UInt64
            if entry.vmFlags.contains("ht"), let kps = entry["KernelPageSize"], kps > PagemapReader.pageSize {
                hugePages = kps >> PagemapReader.pageShift
            } else {
                hugePages = 512  // a PMD-mapped THP on x86-64
            }
            try walker.walk(seg, hugePages: hugePages)
        }
        var touched: [Int] = []
        for s in segments where touched.last != s.vmaIndex { touched.append(s.vmaIndex) }

        var notes: [String] = []
        if walker.scanUsed && !opts.rows {
            notes.append(
                "PAGEMAP_SCAN: populated regions cover \(walker.pagesRead) of \(walker.summary.pages) pages; the holes were skipped")
        } else if let why = pagemap.scanUnsupportedReason {
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
        var rows = opts.rows ? walker.finishRows() : []
        if let source = kernel.source { try Self.addKernelState(&rows, from: source) }
        if let note = kernel.note { notes.append(note) }
        return InspectReport(
            pid: process.pid, target: target.description, kernel: Self.kernelRelease(),
            vmas: touched.map { VMAReport(smaps[$0]) },
            pages: rows,
            summary: summary, pfnHidden: walker.pfnHidden,
            pageTablesUnavailable: tables.unavailable.map { "\($0.file): \($0.reason)" },
            kernelHelper: kernel.source != nil, notes: notes)
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

    /// Refcount and pin state of each row's first page, from /dev/pinctl's QUERY. Only the
    /// rows' first pages are asked for, in runs of adjacent ones, so work and memory follow
    /// the rows, not the range: a terabyte PROT_NONE reservation is one absent row and one
    /// one-page query (asking for every page of it made an array of 32 bytes per page and a
    /// dictionary entry more). A page whose PFN is no longer the row's (the target remapped
    /// it since the walk) gets no kernel state rather than another page's.
    static func addKernelState(_ rows: inout [PageRow], from source: KernelStateSource) throws(PinctlError) {
        let pageSize = PagemapReader.pageSize
        var i = 0
        while i < rows.count {
            guard let va = NumberParsing.parseUInt64(Substring(rows[i].address)) else {
                i += 1
                continue
            }
            var j = i + 1
            while j < rows.count, UInt64(j - i) < KernelHelper.maxQueryPages,
                let next = NumberParsing.parseUInt64(Substring(rows[j].address)),
                next == va &+ UInt64(j - i) &* pageSize
            {
                j += 1
            }
            let states = try source.helper.query(addr: va, pages: UInt64(j - i), memory: source.memory, pid: source.pid)
            for (k, s) in zip(i..<j, states) {
                guard let pfn = s.pfn, rows[k].pfn == nil || rows[k].pfn == pfn else { continue }
                rows[k].refcount = s.refcount
                rows[k].dmaPinned = s.dmaPinned
            }
            i = j
        }
    }

    public static func kernelRelease() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

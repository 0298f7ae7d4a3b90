/// A run of pages of one process that the kernel says are DMA-pinned
/// (folio_maybe_dma_pinned, through the KernelHelper's QUERY).
public struct DeepPinnedRange: Codable, Sendable, Equatable {
    public var pid: Int32
    public var start: UInt64
    public var pages: UInt64
    /// The VMA's path ("" for anonymous memory); `pathBytes` as a locked VMA's.
    public var path: String
    public var pathBytes: String? = nil

    public var displayPath: String { TerminalEscaping.escape(text: path, hexBytes: pathBytes) }
}

/// What `--deep` found: every present page of every process asked whether it is pinned.
public struct DeepCensus: Codable, Sendable, Equatable {
    /// false when /dev/pinctl is not there: `note` says what --deep would add and how.
    public var available: Bool
    public var note: String?
    public var ranges: [DeepPinnedRange]
    public var pagesQueried: UInt64
    public var processesWalked: Int
    /// Processes whose pages could not be asked about (exited, no rights): skipped.
    public var processesSkipped: Int
    /// VMAs the module would not answer about (the process was walked on without them).
    public var vmasSkipped: Int = 0
    /// `--flags`: the expressions every counted page matched (nil: every DMA-pinned page).
    public var flags: [String]?

    public var pinnedPages: UInt64 { ranges.reduce(0) { $0 &+ $1.pages } }

    public static let moduleMissingNote =
        "--deep: /dev/pinctl is not loaded: with it, every present page of every process is asked whether it is DMA-pinned, so pins of drivers that report nothing (V4L2, DRM, ...) are attributed to a process and address range; load it with `pinctl module load`"
}

/// Walks each process's present pages (PAGEMAP_SCAN where the kernel has it, else each
/// VMA whole) and asks the module which are DMA-pinned, a chunk at a time.
public enum DeepWalker {
    /// Pages per QUERY: bounds the memory of a walk whatever the process's size.
    static let chunkPages: UInt64 = 65536

    /// With `match` (`--flags`), only DMA-pinned pages whose page-types flag word matches
    /// are counted.
    public static func walk(pids: [Int32], helper: KernelHelper, match: DeepFlagMatch? = nil) -> (
        DeepCensus, scanMissing: String?
    ) {
        var deep = DeepCensus(available: true, note: nil, ranges: [], pagesQueried: 0, processesWalked: 0, processesSkipped: 0)
        deep.flags = match?.expression.text
        var scanMissing: String?
        let query = DeepQuery(helper: helper, chunkPages: Int(chunkPages), match: match)
        for pid in pids {
            do {
                try walkProcess(pid: pid, query: query, into: &deep, scanMissing: &scanMissing)
                deep.processesWalked += 1
            } catch {
                deep.processesSkipped += 1
            }
        }
        return (deep, scanMissing)
    }

    static func walkProcess(pid: Int32, query: DeepQuery, into deep: inout DeepCensus, scanMissing: inout String?)
        throws(PinctlError)
    {
        let directory = try ProcessDirectory(ProcessRef(pid: pid))
        let pagemap = try PagemapReader(directory: directory)
        // Once per process, not per QUERY: opening /proc/PID/mem runs ptrace's access check.
        let memory = try KernelHelper.openProcessMemory(pid: pid, writable: false)
        let maps = try ProcMaps.parse(directory.readText("maps"))
        for vma in maps where vma.end <= PagemapReader.userSpaceEnd {
            do {
                try walkVMA(
                    vma, pid: pid, pagemap: pagemap, query: query, memory: memory, into: &deep, scanMissing: &scanMissing)
            } catch {
                // A process that is gone skips the process; anything else skips the VMA.
                if case .processNotFound = error { throw error }
                if case .noAddressSpace = error { throw error }
                deep.vmasSkipped += 1
            }
        }
    }

    static func walkVMA(
        _ vma: VMA, pid: Int32, pagemap: PagemapReader, query: DeepQuery, memory: FileDescriptor, into deep: inout DeepCensus,
        scanMissing: inout String?
    ) throws(PinctlError) {
        // Present regions, a scan vector's worth at a time (bounded however fragmented the
        // VMA); every page of it where the kernel lacks PAGEMAP_SCAN.
        func walkRange(_ start: UInt64, _ end: UInt64) throws(PinctlError) {
            var addr = start
            while addr < end {
                let pages = min(chunkPages, (end - addr) >> PagemapReader.pageShift)
                guard pages > 0 else { break }
                let base = addr
                try query.pinnedRuns(addr: base, pages: Int(pages), memory: memory, pid: pid, pagemap: pagemap) { i, count in
                    let runStart = base + UInt64(i) << PagemapReader.pageShift
                    if var last = deep.ranges.last, last.pid == pid,
                        last.start + last.pages << PagemapReader.pageShift == runStart
                    {
                        last.pages += UInt64(count)
                        deep.ranges[deep.ranges.count - 1] = last
                    } else {
                        deep.ranges.append(
                            DeepPinnedRange(
                                pid: pid, start: runStart, pages: UInt64(count), path: vma.path,
                                pathBytes: vma.rawPath.map { TerminalEscaping.hex($0) }))
                    }
                }
                deep.pagesQueried &+= pages
                addr += pages << PagemapReader.pageShift
            }
        }
        let scanned = try pagemap.forEachPopulatedBatch(start: vma.start, end: vma.end) { (batch) throws(PinctlError) in
            for r in batch where r.present { try walkRange(r.start, r.end) }
        }
        if !scanned {
            scanMissing = pagemap.scanUnsupportedReason ?? "PAGEMAP_SCAN is not available"
            try walkRange(vma.start, vma.end)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// `--owners`: which processes map the selected frames, and where. There is no reverse map
/// from a frame to its mappers in /proc, so this walks every process's pagemap once: per
/// VMA, PAGEMAP_SCAN (6.7+) finds the present regions and skips holes without copying an
/// entry per page; the present entries are read in 64Ki batches and their PFNs looked up in
/// the selection's bitmap. Memory: the bitmaps (a bit per frame of the target), one batch of
/// entries and at most `runBatch` owner runs, which stream to `sink` as they close.
final class ReverseMap {
    static let batch = 64 << 10
    /// Owner runs held before they go to the sink: a process mapping millions of scattered
    /// frames (every other page of 16 GiB: 2Mi runs, ~300 MB) costs this many, not one each.
    static let runBatch = 4096

    public struct Totals: Codable, Sendable {
        public var processes: UInt64 = 0
        /// Processes that exited while walked, or whose pagemap could not be read.
        public var skipped: UInt64 = 0
        public var processesOwning: UInt64 = 0
        /// Selected frames mapped by at least one process, and page mappings found in all.
        public var framesMapped: UInt64 = 0
        public var mappings: UInt64 = 0
        public var scanUsed = false
        public var pfnHidden = false
    }

    let selection: PFNBitmap
    private let unowned: PFNBitmap
    private(set) var totals = Totals()
    private let buffer: UnsafeMutablePointer<UInt64>

    init(selection: PFNBitmap) {
        self.selection = selection
        unowned = PFNBitmap(base: selection.base, count: selection.count)
        buffer = .allocate(capacity: Self.batch)
    }

    deinit { buffer.deallocate() }

    /// Walks every process but this one. `useScan` false reads every pagemap entry.
    func run(procRoot: String = "/proc", useScan: Bool, sink: ([OwnerRun]) throws(PinctlError) -> Void) throws(PinctlError) {
        copySelection()
        let root: DirectoryStream
        do throws(SyscallError) { root = try DirectoryStream(procRoot) } catch { throw .system(error) }
        let me = ProcMount.selfPid() ?? getpid()
        while let entry = root.next() {
            guard let pid = ProcDirectoryEntry.pid(of: entry), pid != me else { continue }
            totals.processes += 1
            var owning = false
            do throws(PinctlError) {
                owning = try walk(pid: pid, useScan: useScan) { (runs) throws(PinctlError) in
                    try sink(runs)
                }
            } catch {
                // A process that exits, or a kernel thread, has nothing more to report (the
                // runs it already handed over were read while it was there).
                if case .system = error, !isGone(error) { throw error }
                totals.skipped += 1
            }
            if owning { totals.processesOwning += 1 }
        }
        totals.framesMapped = selection.setCount - unowned.setCount
    }

    private func isGone(_ e: PinctlError) -> Bool {
        if case .system(let s) = e { return s.errno == ESRCH || s.errno == ENOENT }
        return false
    }

    private func copySelection() {
        // The frames nobody has mapped yet: every selected one.
        var p = selection.base
        let end = selection.base + selection.count
        while p < end {
            if selection.contains(p) {
                var q = p + 1
                while q < end && selection.contains(q) { q += 1 }
                unowned.set(p, q - p)
                p = q
            } else {
                p += 1
            }
        }
    }

    /// One process's runs over the selected frames, handed to `sink` in address order, at
    /// most `runBatch` at a time (a run is handed over once it can grow no more). True when
    /// there was any.
    func walk(pid: Int32, useScan: Bool, sink: ([OwnerRun]) throws(PinctlError) -> Void) throws(PinctlError) -> Bool {
        let directory = try ProcessDirectory(ProcessRef(pid: pid))
        let pagemap = try PagemapReader(directory: directory)
        let vmas = try ProcMaps.parse(bytes: directory.readBytes("maps"))
        guard !vmas.isEmpty else { return false }
        var commRaw = (try? directory.readBytes("comm")) ?? []
        if commRaw.last == ProcText.newline { commRaw.removeLast() }
        let (comm, commBytes) = TerminalEscaping.textAndHexBytes(commRaw)
        var runs: [OwnerRun] = []
        runs.reserveCapacity(Self.runBatch + 1)
        var any = false
        for v in vmas where v.end <= PagemapReader.userSpaceEnd {
            // A run never spans two VMAs.
            var runInVMA = false
            // Present regions, a scan vector's worth at a time (bounded however fragmented
            // the VMA); every page of it without PAGEMAP_SCAN.
            func walkRange(_ start: UInt64, _ end: UInt64) throws(PinctlError) {
                var va = start
                while va < end {
                    let n = Int(min(UInt64(Self.batch), (end - va) >> PagemapReader.pageShift))
                    let got = try pagemap.read(start: va, into: UnsafeMutableBufferPointer(start: buffer, count: n))
                    if got == 0 { break }
                    for i in 0..<got {
                        let e = buffer[i]
                        guard e & (1 << 63) != 0 else { continue }
                        let pfn = e & PagemapEntry.pfnMask
                        if pfn == 0 {
                            totals.pfnHidden = true
                            continue
                        }
                        guard selection.contains(pfn) else { continue }
                        totals.mappings += 1
                        _ = unowned.take(pfn)
                        let a = va + UInt64(i) << PagemapReader.pageShift
                        if runInVMA, var last = runs.last, last.address + last.count << PagemapReader.pageShift == a,
                            last.pfn + last.count == pfn
                        {
                            last.count += 1
                            runs[runs.count - 1] = last
                        } else {
                            // A new run closes every one before it: handed over once there
                            // are a batch of them.
                            if runs.count >= Self.runBatch {
                                try sink(runs)
                                runs.removeAll(keepingCapacity: true)
                            }
                            runs.append(
                                OwnerRun(
                                    pid: pid, comm: comm, commBytes: commBytes, address: a, pfn: pfn, count: 1, path: v.path,
                                    pathBytes: v.rawPath.map { TerminalEscaping.hex($0) }))
                            runInVMA = true
                            any = true
                        }
                    }
                    va += UInt64(got) << PagemapReader.pageShift
                    if got < n { break }
                }
            }
            var scanned = false
            if useScan {
                scanned = try pagemap.forEachPopulatedBatch(start: v.start, end: v.end) { (batch) throws(PinctlError) in
                    for r in batch where r.present { try walkRange(r.start, r.end) }
                }
            }
            if scanned {
                totals.scanUsed = true
            } else {
                try walkRange(v.start, v.end)
            }
        }
        if !runs.isEmpty { try sink(runs) }
        return any
    }
}

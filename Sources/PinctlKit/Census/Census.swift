#if canImport(Glibc)
    import Glibc
#endif

/// What to take a census of.
public struct CensusOptions: Sendable {
    /// Also ask the KernelHelper about every present page (`--deep`).
    public var deep: Bool
    /// Fold the per-CPU vmstat deltas in first (write /proc/sys/vm/stat_refresh).
    public var refreshVmstat: Bool
    /// `--deep --flags`: count only DMA-pinned pages whose flags match (needs root).
    public var flags: FlagExpression?

    public init(deep: Bool = false, refreshVmstat: Bool = true, flags: FlagExpression? = nil) {
        self.deep = deep
        self.refreshVmstat = refreshVmstat
        self.flags = flags
    }
}

/// `pinctl census`: the machine's totals, then a row per process that pins or locks memory,
/// then how much of the outstanding FOLL_PIN total the rows account for.
public enum Census {
    /// The mode of a `--output` file. Text and JSON carry other processes' VMA addresses and
    /// paths, which /proc shows only to their owners: 0600. OpenMetrics carries none, and
    /// node_exporter's textfile collector reads it as another user: 0644.
    public static func outputMode(openMetrics: Bool) -> mode_t { openMetrics ? 0o644 : 0o600 }

    public static func take(_ options: CensusOptions = CensusOptions()) throws(PinctlError) -> CensusReport {
        let t0 = SuspendingClock.now
        if options.flags != nil && !options.deep { throw .invalidInput("--flags filters --deep's pinned pages: add --deep") }
        var missing: [String] = []
        if options.refreshVmstat, let e = VmstatReader.refresh() {
            missing.append("vmstat: \(e.description): the FOLL_PIN totals may lag by the per-CPU deltas (run as root)")
        }
        let follPin: FollPinCounters?
        do {
            follPin = try VmstatReader.read()
        } catch {
            throw .system(error)
        }
        if follPin == nil { missing.append("vmstat: no nr_foll_pin_acquired/released (kernel before 5.7): no machine-wide pin total") }
        let meminfo: MeminfoTotals
        let movable: [MovableZone]
        do {
            meminfo = try MeminfoReader.read()
            movable = try ZoneinfoReader.read()
        } catch {
            throw .system(error)
        }
        if meminfo.cmaTotalBytes == nil { missing.append("CMA: the kernel has no CMA (no CmaTotal in /proc/meminfo)") }

        let scan = try ProcessScan.run(classifier: DeviceClassifier.live())
        var rows = scan.rows
        let rdmaReading = RdmaSource.read()
        missing.append(contentsOf: rdmaReading.missing)
        let rdmaOthers = RdmaAttribution.attach(rdmaReading.regions, to: &rows)
        let release = KernelRelease.current()
        IoUringPinCounts.fill(&rows, kernelRelease: release)

        var deep: DeepCensus?
        if options.deep {
            // Before the module: a filter that cannot be applied is an error even without it.
            let match = try options.flags.map { (e) throws(PinctlError) in
                try DeepFlagMatch(expression: e, chunkPages: Int(DeepWalker.chunkPages))
            }
            if let helper = try KernelHelper.open() {
                let (d, scanMissing) = DeepWalker.walk(pids: scan.liveUserPids, helper: helper, match: match)
                deep = d
                if let scanMissing { missing.append("PAGEMAP_SCAN: \(scanMissing): --deep asks about every page of each VMA") }
            } else {
                deep = DeepCensus(
                    available: false, note: DeepCensus.moduleMissingNote, ranges: [], pagesQueried: 0, processesWalked: 0,
                    processesSkipped: 0)
            }
        }

        // After the scan, so that the census's own /dev/pinctl descriptor is in no row.
        let (kmodPins, kmodMissing) = KernelHelperPins.read(rowPIDs: Set(scan.rows.map(\.pid)))
        if let kmodMissing { missing.append(kmodMissing) }

        let outstanding = follPin?.outstanding
        // User MRs of pids with no row, and /dev/pinctl pins whose target is no row, are pins
        // attributed all the same.
        let rowPages =
            rows.reduce(UInt64(0)) { $0 &+ $1.attributedPinPages } &+ rdmaOthers.reduce(0) { $0 &+ $1.pinnedPages }
            &+ (kmodPins?.follPinPagesOutsideRows ?? 0)
        let attributed = outstanding.map { min($0, rowPages) } ?? rowPages
        let totals = CensusTotals(
            follPin: follPin, follPinOutstandingPages: outstanding, attributedPinPages: attributed,
            unattributedPinPages: outstanding.map { $0 - attributed }, mlockedBytes: meminfo.mlockedBytes,
            unevictableBytes: meminfo.unevictableBytes, hugetlbInUseBytes: meminfo.hugetlbInUseBytes,
            hugetlbTotalBytes: meminfo.hugetlbTotalBytes, cmaTotalBytes: meminfo.cmaTotalBytes, cmaFreeBytes: meminfo.cmaFreeBytes,
            movableZones: movable)
        return CensusReport(
            kernel: release, totals: totals, rows: rows, processesScanned: scan.scanned,
            processesVanished: scan.vanished, processesUnreadable: scan.unreadable, missingSources: missing, deep: deep,
            scanSeconds: (SuspendingClock.now - t0).inSeconds,
            rdma: rdmaReading.devices.map { RdmaCensus(devices: $0, otherRegions: rdmaOthers, regionCount: rdmaReading.regions.count) },
            kernelHelperPins: kmodPins)
    }
}

import Prometheus

/// The census in the Prometheus text exposition format, through swift-prometheus: what
/// node_exporter's textfile collector reads (a `.prom` file) and `promtool check metrics`
/// validates. Names carry their unit (`_bytes`, `_pages`, `_seconds`, counters `_total`);
/// per-process series are labelled pid, comm and cgroup, their values escaped for a
/// terminal first (no control character reaches a dashboard) and then, by the library, for
/// the format (backslash, double quote, newline).
public enum OpenMetricsRendering {
    public static func render(_ r: CensusReport) -> String {
        var families: [PrometheusCollectorRegistry] = []
        func family(_ body: (PrometheusCollectorRegistry) -> Void) {
            let registry = PrometheusCollectorRegistry()
            body(registry)
            families.append(registry)
        }
        func gauge(_ name: String, _ help: String, _ value: UInt64?, _ labels: [(String, String)] = []) -> (PrometheusCollectorRegistry) ->
            Void
        {
            { registry in
                guard let value else { return }
                registry.makeGauge(name: name, labels: labels, help: help).set(to: Double(value))
            }
        }
        let t = r.totals
        if let pin = t.follPin {
            family { reg in
                reg.makeCounter(
                    name: "pinctl_foll_pin_acquired_pages_total",
                    help: "Page references pinned with FOLL_PIN since boot (/proc/vmstat nr_foll_pin_acquired)."
                )
                .increment(by: Int64(clamping: pin.acquired))
            }
            family { reg in
                reg.makeCounter(
                    name: "pinctl_foll_pin_released_pages_total",
                    help: "Page references unpinned since boot (/proc/vmstat nr_foll_pin_released)."
                )
                .increment(by: Int64(clamping: pin.released))
            }
        }
        let machine: [(String, String, UInt64?)] = [
            ("pinctl_foll_pin_outstanding_pages", "FOLL_PIN page references held now (acquired - released).", t.follPinOutstandingPages),
            (
                "pinctl_foll_pin_attributed_pages", "Outstanding pins the process rows account for (io_uring buffers, VmPin).",
                t.attributedPinPages
            ),
            (
                "pinctl_foll_pin_unattributed_pages", "Outstanding pins no process row accounts for (drivers that charge nothing).",
                t.unattributedPinPages
            ),
            ("pinctl_mlocked_bytes", "Mlocked memory (/proc/meminfo Mlocked).", t.mlockedBytes),
            ("pinctl_unevictable_bytes", "Unevictable memory (/proc/meminfo Unevictable).", t.unevictableBytes),
            (
                "pinctl_hugetlb_in_use_bytes", "Default-size hugetlb pages in use ((HugePages_Total - HugePages_Free) x Hugepagesize).",
                t.hugetlbInUseBytes
            ),
            ("pinctl_hugetlb_total_bytes", "Default-size hugetlb pool (HugePages_Total x Hugepagesize).", t.hugetlbTotalBytes),
            ("pinctl_cma_total_bytes", "CMA area size (/proc/meminfo CmaTotal).", t.cmaTotalBytes),
            ("pinctl_cma_free_bytes", "Free CMA memory (/proc/meminfo CmaFree).", t.cmaFreeBytes),
        ]
        for (name, help, value) in machine { family(gauge(name, help, value)) }
        let zones: [(String, String, KeyPath<MovableZone, UInt64>)] = [
            ("pinctl_movable_zone_present_bytes", "ZONE_MOVABLE memory present on the node (/proc/zoneinfo).", \.presentPages),
            ("pinctl_movable_zone_free_bytes", "ZONE_MOVABLE memory free on the node (/proc/zoneinfo).", \.freePages),
        ]
        for (name, help, pages) in zones {
            family { reg in
                for z in t.movableZones { gauge(name, help, z[keyPath: pages] << PagemapReader.pageShift, [("node", "\(z.node)")])(reg) }
            }
        }
        func perRow(_ name: String, _ help: String, _ value: @escaping (CensusRow) -> UInt64) {
            family { reg in
                for row in r.rows { gauge(name, help, value(row), labels(row))(reg) }
            }
        }
        perRow("pinctl_process_pinned_bytes", "The process's VmPin (mm->pinned_vm: io_uring buffers, RDMA memory regions).") {
            $0.vmPinBytes
        }
        perRow("pinctl_process_locked_bytes", "The process's VmLck (mm->locked_vm: mlock, VFIO type1).") { $0.vmLckBytes }
        perRow("pinctl_process_io_uring_registered_bytes", "Bytes of io_uring registered buffers (fdinfo UserBufs).") { $0.ioUringBytes }
        perRow("pinctl_process_io_uring_registered_buffers", "io_uring registered buffers (fdinfo UserBufs).") { row in
            row.ioUringRings.reduce(0) { $0 &+ UInt64($1.buffers.count) }
        }
        family { reg in
            for row in r.rows where !row.ioUringRings.isEmpty {
                let exact = row.ioUringRings.allSatisfy(\.pinnedPagesExact)
                gauge(
                    "pinctl_process_io_uring_pinned_pages",
                    "FOLL_PIN references io_uring holds for the registered buffers (one per large folio from 6.10); bound=upper when the folios could not be read.",
                    row.ioUringPinPages, labels(row) + [("bound", exact ? "exact" : "upper")])(reg)
            }
        }
        perRow("pinctl_process_rdma_mr_bytes", "Bytes of the process's RDMA memory regions (RDMA netlink RES_MRLEN).") {
            $0.rdmaBytes
        }
        perRow("pinctl_process_rdma_memory_regions", "RDMA memory regions the process registered (RDMA netlink resource dump).") {
            UInt64($0.rdmaMemoryRegions.count)
        }
        perRow("pinctl_process_locked_vmas", "VMAs with VM_LOCKED (smaps VmFlags lo).") { UInt64($0.lockedVMAs.count) }
        perRow(
            "pinctl_process_attributed_pin_pages",
            "FOLL_PIN pages the census attributes to the process (io_uring buffer and RDMA MR pages, or VmPin if larger)."
        ) {
            $0.attributedPinPages
        }
        family { reg in
            for row in r.rows {
                var byKind: [PinningDeviceKind: UInt64] = [:]
                for d in row.deviceFds { byKind[d.kind, default: 0] += 1 }
                for (kind, n) in byKind.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    gauge(
                        "pinctl_process_device_fds", "Open fds of devices that can pin the process's memory, by kind.", n,
                        labels(row) + [("kind", kind.rawValue)])(reg)
                }
            }
        }
        if let rdma = r.rdma {
            family(gauge("pinctl_rdma_devices", "RDMA devices (RDMA netlink device list).", UInt64(rdma.devices.count)))
            family(
                gauge(
                    "pinctl_rdma_memory_regions", "RDMA memory regions on all devices (RDMA netlink resource dump).",
                    UInt64(max(0, rdma.regionCount))))
            family { reg in
                var byOwner: [String: UInt64] = [:]
                for mr in rdma.otherRegions {
                    let owner = mr.kernelOwner.map { "kernel:" + $0 } ?? mr.pid.map { "pid:\($0)" } ?? "exited"
                    byOwner[owner, default: 0] &+= mr.length
                }
                for (owner, bytes) in byOwner.sorted(by: { $0.key < $1.key }) {
                    gauge(
                        "pinctl_rdma_unowned_mr_bytes",
                        "Bytes of RDMA memory regions in no process row: kernel MRs by module, MRs of pids the scan did not list, MRs whose owner exited.",
                        bytes, [("owner", TerminalEscaping.escape(owner))])(reg)
                }
            }
        }
        if let kmod = r.kernelHelperPins {
            family { reg in
                for f in kmod.files {
                    gauge(
                        "pinctl_kmod_file_pinned_pages",
                        "Pages pinned through one open file of /dev/pinctl (the module's LIST), by file and opener.",
                        f.pins.reduce(0) { $0 &+ $1.pages },
                        [
                            ("file", "\(f.fileID)"), ("pid", f.openerPID.map { "\($0)" } ?? ""),
                            ("comm", TerminalEscaping.escape(text: f.openerComm, hexBytes: f.openerCommBytes)), ("uid", "\(f.openerUID)"),
                        ])(reg)
                }
            }
        }
        if let deep = r.deep, deep.available {
            family { reg in
                var byPid: [Int32: UInt64] = [:]
                for range in deep.ranges { byPid[range.pid, default: 0] += range.pages }
                for (pid, pages) in byPid.sorted(by: { $0.key < $1.key }) {
                    gauge(
                        "pinctl_process_dma_pinned_pages",
                        "Present pages of the process that are DMA-pinned (--deep, the KernelHelper's QUERY).", pages, [("pid", "\(pid)")])(
                            reg)
                }
            }
        }
        family { reg in
            let outcomes: [(String, Int)] = [
                ("scanned", r.processesScanned), ("vanished", r.processesVanished), ("unreadable", r.processesUnreadable),
                ("partial", r.processesReadInPart),
            ]
            for (outcome, n) in outcomes {
                gauge(
                    "pinctl_census_processes",
                    "Processes the census listed, and of those the ones that exited mid-scan, could not be read, or have a row read in part.",
                    UInt64(max(0, n)),
                    [("outcome", outcome)])(reg)
            }
        }
        family(
            gauge(
                "pinctl_census_missing_sources", "Sources missing on this machine (the text output names them).",
                UInt64(r.missingSources.count)))
        family { reg in
            reg.makeGauge(name: "pinctl_census_duration_seconds", help: "How long the census took.").set(to: r.scanSeconds)
        }
        var out: [UInt8] = []
        for f in families { f.emit(into: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    static func labels(_ row: CensusRow) -> [(String, String)] {
        [("pid", "\(row.pid)"), ("comm", row.displayComm), ("cgroup", row.displayCgroup)]
    }
}

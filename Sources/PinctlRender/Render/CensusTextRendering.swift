/// `pinctl census` for a terminal: the summary first, then a table of rows by bytes, then
/// each row's io_uring buffers, locked VMAs and devices. Strings from the system (comm,
/// cgroup, paths) are escaped.
public enum CensusTextRendering {
    /// Buffers and VMAs listed per row before "... N more" (the JSON has them all).
    static let detailLimit = 8

    public static func render(_ r: CensusReport, rates: PinRates? = nil) -> String {
        var out = summary(r, rates: rates)
        out += table(r.rows, unreadable: r.processesUnreadable)
        if let rdma = r.rdma { out += rdmaBlock(rdma) }
        if let kmod = r.kernelHelperPins { out += kernelHelperBlock(kmod) }
        if let deep = r.deep { out += deepBlock(deep) }
        for m in r.missingSources { out += "missing: \(esc(m))\n" }
        return out
    }

    static func summary(_ r: CensusReport, rates: PinRates?) -> String {
        let t = r.totals
        var out = "census  kernel \(esc(r.kernel))  \(r.processesScanned) processes, \(r.rows.count) rows"
        if r.processesVanished > 0 { out += ", \(r.processesVanished) exited mid-scan (skipped)" }
        if r.processesUnreadable > 0 { out += ", \(r.processesUnreadable) unreadable (skipped)" }
        if r.processesReadInPart > 0 { out += ", \(r.processesReadInPart) read in part" }
        out += "  \(num(r.scanSeconds * 1000)) ms\n"
        if let pin = t.follPin, let outstanding = t.follPinOutstandingPages {
            out +=
                "FOLL_PIN outstanding  \(outstanding) pages (\(humanBytes(outstanding << PagemapReader.pageShift)))  acquired \(pin.acquired)  released \(pin.released)\n"
            out +=
                "    attributed \(t.attributedPinPages) pages to the rows (io_uring buffers, RDMA MRs, VmPin, /dev/pinctl)  unattributed \(t.unattributedPinPages ?? 0) pages\n"
        } else {
            out += "FOLL_PIN outstanding  unknown (no vmstat counters)\n"
        }
        if let rates {
            out +=
                "    pin \(num(rates.acquiredPerSecond))/s  unpin \(num(rates.releasedPerSecond))/s  over \(num(rates.seconds)) s\n"
        }
        func b(_ v: UInt64?) -> String { v.map(humanBytes) ?? "-" }
        out +=
            "Mlocked \(b(t.mlockedBytes))  Unevictable \(b(t.unevictableBytes))  hugetlb in use \(b(t.hugetlbInUseBytes)) of \(b(t.hugetlbTotalBytes))  CMA free \(b(t.cmaFreeBytes)) of \(b(t.cmaTotalBytes))\n"
        for z in t.movableZones {
            out +=
                "ZONE_MOVABLE node \(z.node)  present \(humanBytes(z.presentPages << PagemapReader.pageShift))  free \(humanBytes(z.freePages << PagemapReader.pageShift))\n"
        }
        return out
    }

    static func table(_ rows: [CensusRow], unreadable: Int = 0) -> String {
        guard !rows.isEmpty else {
            guard unreadable == 0 else {
                return "no process this census could read pins or locks memory; \(unreadable) could not be read (run as root)\n"
            }
            return "no process pins or locks memory\n"
        }
        var out =
            pad("PID", 8) + pad("COMM", 17) + pad("BYTES", 11) + pad("VmPin", 11) + pad("VmLck", 11) + pad("io_uring", 11)
            + pad("devices", 14) + "CGROUP\n"
        for row in rows {
            let kinds = Set(row.deviceFds.map(\.kind.rawValue)).sorted().joined(separator: ",")
            out +=
                pad("\(row.pid)", 8) + pad(row.displayComm, 17) + pad(humanBytes(row.bytes), 11) + pad(humanBytes(row.vmPinBytes), 11)
                + pad(humanBytes(row.vmLckBytes), 11) + pad(humanBytes(row.ioUringBytes), 11) + pad(kinds.isEmpty ? "-" : kinds, 14)
                + row.displayCgroup + "\n"
            if row.unread.contains(.fds) {
                out += "    fds unreadable (run as root): io_uring buffers and device fds unknown\n"
            }
            if row.unread.contains(.smaps) { out += "    smaps unreadable (run as root): locked VMAs unknown\n" }
            for ring in row.ioUringRings {
                let count = ring.userBufs.map { "\($0) buffers" } ?? "buffer table withheld (ring busy)"
                out +=
                    "    io_uring fd \(ring.fd): \(count), \(humanBytes(ring.registeredBytes)), \(ring.pinnedPagesExact ? "" : "at most ")\(ring.pinnedPages) pages pinned\(ring.pinnedPagesExact ? "" : " (large folios not read: one pin each from 6.10)")\n"
                for b in ring.buffers.prefix(detailLimit) {
                    out += "        \(hex(b.address))+\(humanBytes(b.length))\n"
                }
                if ring.buffers.count > detailLimit { out += "        ... \(ring.buffers.count - detailLimit) more\n" }
            }
            for v in row.lockedVMAs.prefix(detailLimit) {
                out +=
                    "    locked \(hex(v.start))-\(hex(v.end)) \(humanBytes(v.size)) (resident \(v.lockedBytes.map(humanBytes) ?? "-")) \(v.displayPath)\n"
            }
            if row.lockedVMAs.count > detailLimit { out += "    ... \(row.lockedVMAs.count - detailLimit) more locked VMAs\n" }
            for d in row.deviceFds {
                out += "    device fd \(d.fd): \(d.kind.rawValue) \(d.displayPath) (\(d.major):\(d.minor))\n"
            }
            for mr in row.rdmaMemoryRegions.prefix(detailLimit) { out += "    " + rdmaLine(mr) + "\n" }
            if row.rdmaMemoryRegions.count > detailLimit {
                out += "    ... \(row.rdmaMemoryRegions.count - detailLimit) more RDMA memory regions\n"
            }
        }
        return out
    }

    /// "rdma mr 3 on rxe0: 16.0 MiB, 4096 pages pinned, pid 169 (pd 1)"; a kernel MR names its owner.
    static func rdmaLine(_ mr: RdmaMemoryRegion) -> String {
        var out = "rdma mr \(mr.mrn.map { "\($0)" } ?? "?") on \(esc(mr.device)): \(humanBytes(mr.length))"
        if let owner = mr.kernelOwner {
            out += ", kernel (\(esc(owner)))"
        } else {
            out += ", \(mr.pinnedPages) pages pinned"
            if let pid = mr.pid { out += ", pid \(pid)" }
        }
        if let pd = mr.pdn { out += " (pd \(pd))" }
        if let iova = mr.iova { out += " iova \(hex(iova))" }
        return out
    }

    /// The RDMA devices, and the memory regions no row holds (kernel MRs, exited owners).
    static func rdmaBlock(_ rdma: RdmaCensus) -> String {
        guard !rdma.devices.isEmpty else { return "" }
        let names = rdma.devices.map { esc($0.name) }.joined(separator: ", ")
        var out = "RDMA: \(rdma.devices.count) device(s) (\(names)), \(rdma.regionCount) memory region(s)"
        if !rdma.otherRegions.isEmpty { out += ", \(rdma.otherRegions.count) in no process row" }
        out += "\n"
        for mr in rdma.otherRegions.prefix(detailLimit) {
            out += "    " + rdmaLine(mr) + (mr.isKernel || mr.pid != nil ? "" : ", owner exited") + "\n"
        }
        if rdma.otherRegions.count > detailLimit { out += "    ... \(rdma.otherRegions.count - detailLimit) more\n" }
        return out
    }

    static func kernelHelperBlock(_ k: KernelHelperPins) -> String {
        guard !k.files.isEmpty else { return "" }
        var out =
            "pins held through /dev/pinctl: \(k.files.count) open files, \(k.follPinPages) FOLL_PIN pages (\(k.follPinPagesOutsideRows) of them for no row: target exited)\n"
        for f in k.files {
            let opener = f.openerPID.map { "pid \($0)" } ?? "pid ?"
            out +=
                "    file \(f.fileID) opened by \(opener) (\(TerminalEscaping.escape(text: f.openerComm, hexBytes: f.openerCommBytes))) uid \(f.openerUID)"
            if let handles = f.handles, let pages = f.heldPages {
                out += ": \(handles) pins, \(pages) pages (\(humanBytes(pages << PagemapReader.pageShift)))"
            }
            out += "\n"
            for p in f.pins.prefix(detailLimit) {
                let at = p.address.map(hex) ?? "(address hidden)"
                let target = p.targetPID.map { "pid \($0)" } ?? (p.targetExited ? "exited" : "not visible")
                out +=
                    "        handle \(p.handle) \(at)+\(p.pages) pages \(p.flags.joined(separator: ",")) target \(target) uid \(p.chargedUID)\n"
            }
            if f.pins.count > detailLimit { out += "        ... \(f.pins.count - detailLimit) more\n" }
        }
        return out
    }

    static func deepBlock(_ d: DeepCensus) -> String {
        if let note = d.note, !d.available { return esc(note) + "\n" }
        var out =
            "deep: \(d.pagesQueried) present pages of \(d.processesWalked) processes asked, \(d.pinnedPages) DMA-pinned in \(d.ranges.count) ranges"
        if let flags = d.flags { out += " (only pages with flags \(esc(flags.joined(separator: " and "))))" }
        if d.processesSkipped > 0 { out += ", \(d.processesSkipped) processes skipped" }
        if d.vmasSkipped > 0 { out += ", \(d.vmasSkipped) VMAs skipped" }
        out += "\n"
        for r in d.ranges {
            out += "    pid \(r.pid) \(hex(r.start))+\(r.pages) pages \(r.displayPath)\n"
        }
        return out
    }

    /// One decimal; a value too large for the fixed formatter (which would trap) as Swift prints it.
    static func num(_ v: Double) -> String {
        v.isFinite && v >= 0 && v < 1e12 ? TextRendering.fixed(v, places: 1) : "\(v)"
    }

    static func esc(_ s: String) -> String { TerminalEscaping.escape(s) }
    static func pad(_ s: String, _ width: Int) -> String { TextRendering.pad(s, width) }
}

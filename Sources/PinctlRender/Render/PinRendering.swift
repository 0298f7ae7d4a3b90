/// Text forms of `pin` reports.
extension TextRendering {
    public static func render(_ r: PinReport) -> String {
        var out = "pinned \(esc(r.range)) by \(r.method)"
        if let why = r.chosenBecause { out += " (auto: \(esc(why)))" }
        out += "\n"
        if let files = r.files {
            out += "    \(files) files, \(esc(r.backing)), \(r.pages) pages (\(humanBytes(r.bytes)))\n"
        } else if r.parts == nil {
            out += "    range \(r.start)-\(r.end) \(esc(r.backing)), \(r.pages) pages (\(humanBytes(r.bytes)))\n"
        } else {
            out += "    \(r.parts?.count ?? 0) ranges, \(r.pages) pages (\(humanBytes(r.bytes)))\n"
        }
        if let t = r.trimmed { out += "    trimmed: \(esc(t))\n" }
        out +=
            "    resident \(r.residentPages), pinned \(r.pinnedPages), physical runs \(r.pfnRuns.map { "\($0)" } ?? (r.pfnHidden ? "- (PFNs hidden: needs CAP_SYS_ADMIN)" : "- (every page maps the shared zero page)"))\n"
        let rate = r.pagesPerSecond >= 1 ? "\(Int(r.pagesPerSecond)) pages/s" : "-"
        out += "    took \(formatMs(r.totalMs)) (\(rate))\n"
        out += "    VmLck \(r.vmLck.map(humanBytes) ?? "-")  VmPin \(r.vmPin.map(humanBytes) ?? "-")\n"
        if !r.detail.isEmpty { out += "    how: \(esc(r.detail))\n" }
        if let v = r.verify { out += render(v) }
        for part in r.parts ?? [] {
            out += render(part).split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }.joined(
                separator: "\n")
        }
        return out
    }

    /// The one line a supervisor shows for a hold (systemd's STATUS=, in `systemctl status`):
    /// what is held, how much, and what --verify found. Not escaped: SystemdNotifier escapes
    /// what it sends.
    public static func statusLine(_ r: PinReport) -> String {
        var s = "holding \(r.range) by \(r.method): "
        if let files = r.files {
            s += "\(files) files, "
        } else if let parts = r.parts {
            s += "\(parts.count) ranges, "
        }
        s += "\(r.pages) pages (\(humanBytes(r.bytes))), resident \(r.residentPages), pinned \(r.pinnedPages)"
        if let l = r.vmLck, l > 0 { s += ", VmLck \(humanBytes(l))" }
        if let p = r.vmPin, p > 0 { s += ", VmPin \(humanBytes(p))" }
        if let v = r.verify { s += "; verify: " + (v.tested ? "held \(v.held), moved \(v.moved), evicted \(v.evicted)" : "untested") }
        return s
    }

    public static func render(_ v: VerifyReport) -> String {
        var out =
            v.tested
            ? "verify: held \(v.held), moved \(v.moved), evicted \(v.evicted)\n"
            : "verify: untested: every probe was skipped or unsupported (below), so nothing tried to move the pages; \(v.held) stayed where they were on their own\n"
        for p in v.probes { out += "    " + pad(p.probe, 19) + pad(p.outcome, 12) + esc(p.detail) + "\n" }
        let shown = v.runs.prefix(64)
        for run in shown { out += "    " + pad(run.start, 18) + pad("\(run.pages) pages", 14) + run.verdict + "\n" }
        if v.runs.count > shown.count { out += "    ... \(v.runs.count - shown.count) more runs (--json lists all)\n" }
        return out
    }

    public static func render(_ verdicts: [MethodVerdict]) -> String {
        verdicts.map { v in pad(v.method, 10) + pad(v.works ? "yes" : "no", 5) + esc(v.reasons.joined(separator: "; ")) + "\n" }.joined()
    }

    static func formatMs(_ ms: Double) -> String { fixed(ms, places: 1) + " ms" }

    /// A non-negative `v` with `places` decimals, without Foundation's String(format:).
    static func fixed(_ v: Double, places: Int) -> String {
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let n = Int((v * Double(scale)).rounded())
        let frac = String(n % scale)
        return "\(n / scale)." + String(repeating: "0", count: places - frac.count) + frac
    }
}

extension TextRendering {
    public static func render(_ s: ModuleControl.Status) -> String {
        var out = "kernel \(s.kernel): module \(s.loaded ? "loaded" : "not loaded"), /dev/pinctl \(s.device ? "present" : "absent")\n"
        if let v = s.version {
            out +=
                "    version \(v.moduleVersion ?? "unknown (older than 0.1.0)"), ABI \(v.abiVersion), features \(v.features.joined(separator: " ")), per fd at most \(v.maxPagesPerFd) pages in \(v.maxHandlesPerFd) pins\n"
        }
        if let h = s.held {
            out +=
                "    held: \(h.pins) pins, \(h.pages) pages (\(humanBytes(h.pages << PagemapReader.pageShift))) in \(h.files) open files\(h.complete ? "" : " of this user (run as root for every user's)")\n"
        }
        if let f = s.framesBelowPFN { out += "    frame queries: PFN 0 to \(hex(f)) (exclusive)\n" }
        if let p = s.installedAt {
            out += "    installed at \(esc(p))\n"
        } else if !s.loaded {
            out += "    not installed for this kernel: see KernelHelper/README.md\n"
        }
        return out
    }
}

extension TextRendering {
    public static func render(_ b: KernelBenchReport) -> String {
        func ms(_ v: Double) -> String { fixed(v, places: 2) + " ms" }
        var out = "bench \(esc(b.range)) at \(b.start), \(b.pages) pages (\(humanBytes(b.bytes))), \(b.call), median of \(b.iterations)\n"
        out += "    in the kernel (BENCH):   pin \(ms(b.kernelPinMs))  unpin \(ms(b.kernelUnpinMs))\n"
        out += "    ioctls (PIN, UNPIN):     pin \(ms(b.ioctlPinMs))  unpin \(ms(b.ioctlUnpinMs))\n"
        out += "    ioctl / kernel:          pin \(fixed(b.pinRatio, places: 3))x  unpin \(fixed(b.unpinRatio, places: 3))x"
        out += "  pin+unpin \(fixed(b.cycleRatio, places: 3))x\n"
        return out
    }
}

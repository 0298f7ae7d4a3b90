/// Text forms of `pin` reports.
extension TextRendering {
    public static func render(_ r: PinReport) -> String {
        var out = "pinned \(r.range) by \(r.method)"
        if let why = r.chosenBecause { out += " (auto: \(why))" }
        out += "\n"
        out += "    range \(r.start)-\(r.end) \(r.backing), \(r.pages) pages (\(humanBytes(r.bytes)))\n"
        out +=
            "    resident \(r.residentPages), pinned \(r.pinnedPages), physical runs \(r.pfnRuns.map { "\($0)" } ?? "- (every page maps the shared zero page)")\n"
        let rate = r.pagesPerSecond >= 1 ? "\(Int(r.pagesPerSecond)) pages/s" : "-"
        out += "    took \(formatMs(r.totalMs)) (\(rate))\n"
        out += "    VmLck \(r.vmLck.map(humanBytes) ?? "-")  VmPin \(r.vmPin.map(humanBytes) ?? "-")\n"
        if !r.detail.isEmpty { out += "    how: \(r.detail)\n" }
        if let v = r.verify { out += render(v) }
        return out
    }

    public static func render(_ v: VerifyReport) -> String {
        var out = "verify: held \(v.held), moved \(v.moved), evicted \(v.evicted)\n"
        for p in v.probes { out += "    " + pad(p.probe, 19) + pad(p.outcome, 12) + p.detail + "\n" }
        let shown = v.runs.prefix(64)
        for run in shown { out += "    " + pad(run.start, 18) + pad("\(run.pages) pages", 14) + run.verdict + "\n" }
        if v.runs.count > shown.count { out += "    ... \(v.runs.count - shown.count) more runs (--json lists all)\n" }
        return out
    }

    public static func render(_ verdicts: [MethodVerdict]) -> String {
        verdicts.map { v in pad(v.method, 10) + pad(v.works ? "yes" : "no", 5) + v.reasons.joined(separator: "; ") + "\n" }.joined()
    }

    static func formatMs(_ ms: Double) -> String {
        let tenths = Int((ms * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) ms"
    }
}

extension TextRendering {
    public static func render(_ s: ModuleControl.Status) -> String {
        var out = "kernel \(s.kernel): module \(s.loaded ? "loaded" : "not loaded"), /dev/pinctl \(s.device ? "present" : "absent")\n"
        if let v = s.version {
            out +=
                "    ABI \(v.abiVersion), features \(v.features.joined(separator: " ")), per fd at most \(v.maxPagesPerFd) pages in \(v.maxHandlesPerFd) pins\n"
        }
        if let p = s.installedAt {
            out += "    installed at \(p)\n"
        } else if !s.loaded {
            out += "    not installed for this kernel: see KernelHelper/README.md\n"
        }
        return out
    }
}

extension TextRendering {
    public static func render(_ b: KernelBenchReport) -> String {
        func ms(_ v: Double) -> String { String(format2(v)) + " ms" }
        var out = "bench \(b.range) at \(b.start), \(b.pages) pages (\(humanBytes(b.bytes))), \(b.call), median of \(b.iterations)\n"
        out += "    in the kernel (BENCH):   pin \(ms(b.kernelPinMs))  unpin \(ms(b.kernelUnpinMs))\n"
        out += "    ioctls (PIN, UNPIN):     pin \(ms(b.ioctlPinMs))  unpin \(ms(b.ioctlUnpinMs))\n"
        out += "    ioctl / kernel:          pin \(format3(b.pinRatio))x  unpin \(format3(b.unpinRatio))x"
        out += "  pin+unpin \(format3(b.cycleRatio))x\n"
        return out
    }

    /// Two decimals, without Foundation's String(format:).
    static func format2(_ v: Double) -> String {
        let c = Int((v * 100).rounded())
        let frac = c % 100
        return "\(c / 100).\(frac < 10 ? "0" : "")\(frac)"
    }

    static func format3(_ v: Double) -> String {
        let m = Int((v * 1000).rounded())
        let frac = m % 1000
        return "\(m / 1000)." + String(repeating: "0", count: 3 - String(frac).count) + String(frac)
    }
}

/// The parts of an inspect report other than rows, written by hand with `JSONWriter` with
/// the keys and types of the `InspectReport` contract (README, "JSON contract"). Shared by
/// the `--json` document and the `--json-lines` records.
extension JSONWriter {
    /// A VMA's members (inside an object the caller opened). Optional counters are left
    /// out when smaps has no such field, as the Codable report did; `pathBytes` only when
    /// the path is not UTF-8.
    mutating func vmaMembers(_ v: VMAReport) throws(PinctlError) {
        try key("start")
        try string(v.start)
        try key("end")
        try string(v.end)
        try key("size")
        try uint(v.size)
        try key("perms")
        try string(v.perms)
        try key("offset")
        try string(v.offset)
        try key("dev")
        try string(v.dev)
        try key("inode")
        try uint(v.inode)
        try key("path")
        try string(v.path)
        if let b = v.pathBytes {
            try key("pathBytes")
            try string(b)
        }
        func counter(_ k: StaticString, _ x: UInt64?, _ w: inout JSONWriter) throws(PinctlError) {
            guard let x else { return }
            try w.key(k)
            try w.uint(x)
        }
        try counter("rss", v.rss, &self)
        try counter("pss", v.pss, &self)
        try counter("locked", v.locked, &self)
        try counter("anonymous", v.anonymous, &self)
        try counter("anonHugePages", v.anonHugePages, &self)
        try counter("swap", v.swap, &self)
        if let t = v.thpEligible {
            try key("thpEligible")
            try bool(t)
        }
        try counter("kernelPageSize", v.kernelPageSize, &self)
        try key("smaps")
        try beginObject()
        for (k, x) in v.smaps.sorted(by: { $0.key < $1.key }) {
            try key(k)
            try uint(x)
        }
        try endObject()
        try key("vmFlags")
        try strings(v.vmFlags)
        try key("vmFlagWords")
        try strings(v.vmFlagWords)
    }

    /// The summary object's members.
    mutating func summaryMembers(_ s: PageSummary) throws(PinctlError) {
        let counts: [(StaticString, UInt64)] = [
            ("pages", s.pages), ("present", s.present), ("swapped", s.swapped), ("notPresent", s.notPresent),
            ("fileOrShared", s.fileOrShared), ("exclusive", s.exclusive), ("softDirty", s.softDirty),
            ("uffdWP", s.uffdWP), ("guardRegion", s.guardRegion), ("locked", s.locked),
            ("unevictable", s.unevictable), ("thp", s.thp), ("huge", s.huge), ("ksm", s.ksm), ("zero", s.zero),
            ("physicalRuns", s.physicalRuns), ("longestRunPages", s.longestRunPages),
        ]
        for (k, v) in counts {
            try key(k)
            try uint(v)
        }
        try key("flagCounts")
        try beginObject()
        for (k, v) in s.flagCounts.sorted(by: { $0.key < $1.key }) {
            try key(k)
            try uint(v)
        }
        try endObject()
        try key("flagsAvailable")
        try bool(s.flagsAvailable)
    }

    /// What follows the rows: `pfnHidden`, `pageTablesUnavailable`, `kernelHelper`, `notes`.
    mutating func reportTailMembers(_ r: InspectReport) throws(PinctlError) {
        try key("pfnHidden")
        try bool(r.pfnHidden)
        try key("pageTablesUnavailable")
        try strings(r.pageTablesUnavailable)
        try key("kernelHelper")
        try bool(r.kernelHelper)
        try key("notes")
        try strings(r.notes)
    }

    /// `error`, `exitStatus` and (for an error about a process, unless `pid` was written
    /// already) `pid`: the ErrorReport members.
    mutating func errorMembers(_ e: PinctlError, withPid: Bool = true) throws(PinctlError) {
        let r = ErrorReport(e)
        try key("error")
        try string(r.error)
        try key("exitStatus")
        try int(Int64(r.exitStatus))
        if withPid, let pid = r.pid {
            try key("pid")
            try int(Int64(pid))
        }
    }

    mutating func headMembers(_ h: InspectHead) throws(PinctlError) {
        try key("pid")
        try int(Int64(h.pid))
        try key("target")
        try string(h.target)
        try key("kernel")
        try string(h.kernel)
    }
}

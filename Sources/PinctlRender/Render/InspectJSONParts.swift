/// The parts of an inspect report other than rows, written by hand with `JSONWriter` with
/// the keys and types of the `InspectReport` contract (README, "JSON contract"). Shared by
/// the `--json` document and the `--json-lines` records.
extension JSONWriter {
    /// A VMA's members (inside an object the caller opened). Optional counters are left
    /// out when smaps has no such field, as the Codable report did; `pathBytes` only when
    /// the path is not UTF-8.
    mutating func vmaMembers(_ v: VMAReport) throws(PinctlError) {
        try field("start", v.start)
        try field("end", v.end)
        try field("size", v.size)
        try field("perms", v.perms)
        try field("offset", v.offset)
        try field("dev", v.dev)
        try field("inode", v.inode)
        try field("path", v.path)
        if let b = v.pathBytes { try field("pathBytes", b) }
        if let d = v.deleted { try field("deleted", d) }
        try field("rss", ifPresent: v.rss)
        try field("pss", ifPresent: v.pss)
        try field("locked", ifPresent: v.locked)
        try field("anonymous", ifPresent: v.anonymous)
        try field("anonHugePages", ifPresent: v.anonHugePages)
        try field("swap", ifPresent: v.swap)
        if let t = v.thpEligible { try field("thpEligible", t) }
        try field("kernelPageSize", ifPresent: v.kernelPageSize)
        try field("smaps", sorted: v.smaps)
        try field("vmFlags", v.vmFlags)
        try field("vmFlagWords", v.vmFlagWords)
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
        for (k, v) in counts { try field(k, v) }
        try field("flagCounts", sorted: s.flagCounts)
        try field("flagsAvailable", s.flagsAvailable)
    }

    /// What follows the rows: `pfnHidden`, `pageTablesUnavailable`, `kernelHelper`, `notes`.
    mutating func reportTailMembers(_ r: InspectReport) throws(PinctlError) {
        try field("pfnHidden", r.pfnHidden)
        try field("pageTablesUnavailable", r.pageTablesUnavailable)
        try field("kernelHelper", r.kernelHelper)
        try field("notes", r.notes)
    }

    /// `error`, `exitStatus` and (for an error about a process, unless `pid` was written
    /// already) `pid`: the ErrorReport members.
    /// Closes the open array of a streamed document and ends it with the error's members
    /// (best effort: the output may be what failed).
    mutating func endWithError(_ e: PinctlError) {
        do throws(PinctlError) {
            try endArray()
            try errorMembers(e, withPid: false)
            try endDocument()
        } catch {}
    }

    mutating func errorMembers(_ e: PinctlError, withPid: Bool = true) throws(PinctlError) {
        let r = ErrorReport(e)
        try field("error", r.error)
        try field("exitStatus", Int64(r.exitStatus))
        if withPid, let pid = r.pid { try field("pid", Int64(pid)) }
    }

    mutating func headMembers(_ h: InspectHead) throws(PinctlError) {
        try field("pid", Int64(h.pid))
        try field("target", h.target)
        try field("kernel", h.kernel)
    }
}

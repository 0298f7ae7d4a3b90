/// Text forms of the reports, for people at a terminal (`inspect` streams through
/// InspectTextWriter, which uses the VMA and summary blocks here).
public enum TextRendering {
    static func vmaBlock(_ v: VMAReport) -> String {
        var out =
            "vma \(v.start.dropFirst(2))-\(v.end.dropFirst(2)) \(esc(v.perms)) \(v.offset.dropFirst(2)) \(esc(v.dev)) \(v.inode) \(v.displayPath)  \(humanBytes(v.size))\n"
        func kb(_ x: UInt64?) -> String { x.map(humanBytes) ?? "-" }
        out +=
            "    Rss \(kb(v.rss))  Pss \(kb(v.pss))  Locked \(kb(v.locked))  Anonymous \(kb(v.anonymous))  AnonHugePages \(kb(v.anonHugePages))  Swap \(kb(v.swap))  THPeligible \(v.thpEligible.map { $0 ? "yes" : "no" } ?? "-")\n"
        if !v.vmFlags.isEmpty {
            out += "    VmFlags \(v.vmFlags.joined(separator: " ")) (\(v.vmFlagWords.joined(separator: ", ")))\n"
        }
        return out
    }

    static func summaryBlock(_ s: PageSummary, pfnHidden: Bool) -> String {
        var out =
            "summary: \(s.pages) pages (\(humanBytes(s.pages &* PagemapReader.pageSize))): \(s.present) present, \(s.swapped) swapped, \(s.notPresent - s.swapped - s.guardRegion) not present"
        if s.guardRegion > 0 { out += ", \(s.guardRegion) guard" }
        out += "\n"
        if s.flagsAvailable {
            out += "    locked \(s.locked)  thp \(s.thp)  huge \(s.huge)  ksm \(s.ksm)  zero \(s.zero)  unevictable \(s.unevictable)\n"
        } else {
            out += "    page flags unavailable (\(pfnHidden ? "PFNs hidden" : "kpageflags unreadable"))\n"
        }
        out += "    exclusive \(s.exclusive)  file/shared \(s.fileOrShared)  soft-dirty \(s.softDirty)  uffd-wp \(s.uffdWP)\n"
        if !pfnHidden {
            out += "    physical runs \(s.physicalRuns) (longest \(s.longestRunPages) pages)\n"
        }
        if !s.flagCounts.isEmpty {
            let ordered = s.flagCounts.sorted {
                (KPageFlags.bit(named: $0.key) ?? 99, $0.key) < (KPageFlags.bit(named: $1.key) ?? 99, $1.key)
            }
            out += "    flags " + ordered.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        return out
    }

    /// System-supplied text (paths, comm, the user's target) made safe for a terminal.
    static func esc(_ s: String) -> String { TerminalEscaping.escape(s) }

    static func pad(_ s: String, _ width: Int) -> String {
        let n = s.count
        return n >= width ? s + " " : s + String(repeating: " ", count: width - n)
    }
}

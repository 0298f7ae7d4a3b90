/// Builds `PageRow`s page by page, collapsing a compound page into one row and a run of
/// identical absent entries into another, unless told not to.
struct PageRowBuilder {
    let collapse: Bool
    private(set) var rows: [PageRow] = []
    private var open: Open?

    private struct Open {
        var va: UInt64
        var count: Int
        var entry: UInt64
        var flags: UInt64?
        var mapcount: UInt64?
        var cgroup: UInt64?
        var compound: Bool
        var lastVA: UInt64
        var lastPFN: UInt64
    }

    init(collapse: Bool) { self.collapse = collapse }

    /// `flags` nil: unreadable. `inherited`: the page is a tail whose flags were not read
    /// because its head's were (a PMD-mapped huge page).
    mutating func add(va: UInt64, entry: UInt64, flags: UInt64?, inherited: Bool, mapcount: UInt64?, cgroup: UInt64?) {
        let pm = PagemapEntry(raw: entry)
        let pfn = entry & PagemapEntry.pfnMask
        if collapse, var o = open, va == o.lastVA &+ PagemapReader.pageSize {
            let po = PagemapEntry(raw: o.entry)
            if pm.present, pfn != 0, po.present, o.compound, pfn == o.lastPFN &+ 1,
                inherited || (flags.map { KPageFlags(rawValue: $0).contains(.compoundTail) } ?? false)
            {
                o.count += 1
                o.lastVA = va
                o.lastPFN = pfn
                open = o
                return
            }
            if !pm.present, !pm.swapped, !po.present, !po.swapped, o.entry == entry {
                o.count += 1
                o.lastVA = va
                open = o
                return
            }
        }
        close()
        let f = flags.map(KPageFlags.init(rawValue:))
        let compound = inherited || (f.map { !$0.isDisjoint(with: [.compoundHead, .compoundTail]) } ?? false)
        open = Open(
            va: va, count: 1, entry: entry, flags: flags, mapcount: mapcount, cgroup: cgroup,
            compound: compound, lastVA: va, lastPFN: pfn)
    }

    mutating func close() {
        guard let o = open else { return }
        open = nil
        let pm = PagemapEntry(raw: o.entry)
        let pfn = pm.pfn.flatMap { $0 == 0 ? nil : $0 }
        rows.append(
            PageRow(
                address: hex(o.va), count: o.count, present: pm.present, swapped: pm.swapped,
                pfn: pfn, physAddress: pfn.map { hex($0 << PagemapReader.pageShift) },
                swapType: pm.swapType, swapOffset: pm.swapOffset,
                exclusive: pm.exclusive, softDirty: pm.softDirty, uffdWP: pm.uffdWP,
                fileOrShared: pm.fileOrSharedAnon, guardRegion: pm.guardRegion,
                flags: o.flags.map { KPageFlags(rawValue: $0).names } ?? [],
                kpageflags: o.flags.map(hex), mapcount: o.mapcount, memcg: o.cgroup,
                compound: o.compound, pagemap: hex(o.entry)))
    }

    mutating func finish() -> [PageRow] {
        close()
        return rows
    }
}

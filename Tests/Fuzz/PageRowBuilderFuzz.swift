// libFuzzer target for PageRowBuilder: /proc/PID/pagemap entries and /proc/kpageflags words,
// decoded and collapsed into `inspect`'s page rows.
//
// The input is records of 18 bytes: the pagemap entry (8, little-endian), the kpageflags
// word (8), a mapcount byte, and a control byte: bit 0 flags unreadable, bit 1 the flags are
// a head's inherited by this tail, bit 2 a hole of one page before this one, bit 3 no mapcount.
@testable import PinctlKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPageRowBuilder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size >= 18 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    func word(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) } }
    let page = PagemapReader.pageSize
    // Rows are drained by finish(); capacity: every page of the input, plus one.
    let capacity = size / 18 + 2
    var collapsed = PageRowBuilder(collapse: true, capacity: capacity)
    var plain = PageRowBuilder(collapse: false, capacity: capacity)
    defer {
        collapsed.deallocate()
        plain.deallocate()
    }
    var va: UInt64 = 0x7f00_0000_0000
    var pages: [(va: UInt64, entry: UInt64)] = []
    for at in stride(from: 0, to: size - 17, by: 18) {
        let entry = word(at), flagsWord = word(at + 8), mapcount = UInt64(bytes[at + 16]), control = bytes[at + 17]
        if control & 4 != 0 { va += page }
        let flags: UInt64? = control & 1 != 0 ? nil : flagsWord
        let inherited = control & 2 != 0
        let count: UInt64? = control & 8 != 0 ? nil : mapcount
        collapsed.add(va: va, entry: entry, flags: flags, inherited: inherited, mapcount: count, cgroup: nil, kernel: nil)
        // Without collapsing every page is a row: the first 64 show it, and keep the target fast.
        if pages.count < 64 {
            plain.add(va: va, entry: entry, flags: flags, inherited: inherited, mapcount: count, cgroup: nil, kernel: nil)
        }
        pages.append((va, entry))
        va += page
    }
    collapsed.close()
    plain.close()
    let rows = collapsed.finish()
    let every = plain.finish()
    require(every.count == min(pages.count, 64), "without collapsing, \(min(pages.count, 64)) pages gave \(every.count) rows")
    require(rows.reduce(0) { $0 + Int($1.count) } == pages.count, "rows count \(rows.map(\.count)) for \(pages.count) pages")
    // Each row starts at one of the pages, in order, and describes that page's entry.
    var next = 0
    for row in rows {
        require(row.count >= 1, "a row of \(row.count) pages")
        require(next < pages.count && row.va == pages[next].va, "row at \(hex(row.va)), page \(next) is elsewhere")
        let pm = PagemapEntry(raw: pages[next].entry)
        require(row.entry == pages[next].entry && row.present == pm.present, "row \(hex(row.va)) misdescribes its entry")
        require(row.pfn == nil || (pm.present && row.pfn == pm.pfn), "row \(hex(row.va)): pfn \(String(describing: row.pfn))")
        require(!(row.present && row.swapped), "row \(hex(row.va)) is both present and swapped")
        // A collapsed row covers pages at consecutive addresses.
        for k in 1..<Int(row.count) {
            require(pages[next + k].va == pages[next].va + UInt64(k) * page, "row \(hex(row.va)) spans a hole")
        }
        next += Int(row.count)
    }
    return 0
}

/// Formats `PageRowFacts` straight into an `OutputBuffer`: text rows, JSON objects and JSON
/// lines, with flag names from precomputed byte tables (no String, no dictionary, no Codable
/// per row). The hot path of `inspect --pages` and `--json`.
public final class PageRowRendering {
    /// Names of the 64 kpageflags bits, and anon_exclusive, as bytes: text form at
    /// `[offset, offset+length)`, JSON form (quoted) right after it.
    private let names: UnsafeMutablePointer<UInt8>
    private let offsets: [Int]
    private let lengths: [Int]
    /// Index 64: "anon_exclusive".
    private static let anonExclusive = 64

    public init(names table: KPageFlagNames = .running) {
        var all: [UInt8] = []
        var off: [Int] = []
        var len: [Int] = []
        for name in table.table + ["anon_exclusive"] {
            off.append(all.count)
            len.append(name.utf8.count)
            all += Array(name.utf8)
            all += [0x22] + Array(name.utf8) + [0x22]
        }
        names = .allocate(capacity: all.count)
        names.initialize(from: all, count: all.count)
        offsets = off
        lengths = len
    }

    deinit { names.deallocate() }

    /// The longest row either form can take, for `reserve`.
    public static let maxRowBytes = 3072

    // MARK: Text

    /// The column header of the text rows.
    public static let textHeader: StaticString =
        "pages:\naddress           pages  state     pfn         mapcount memcg   pagemap / flags\n"

    /// One text row: address, pages, state, pfn (or swap type:offset), mapcount, memcg,
    /// pagemap bits in brackets, flag names. The caller reserved
    /// `maxRowBytes`.
    @inline(__always)
    public func text(_ r: PageRowFacts, into o: inout OutputBuffer) {
        let e = r.entry
        o.hex(r.va, width: 18)
        o.decimal(r.count, width: 7)
        var col = o.position
        let present = e & (1 << 63) != 0
        let guardRegion = e & (1 << 58) != 0
        let swapped = e & (1 << 62) != 0 && !guardRegion && !present
        if present {
            o.ascii("present")
        } else if swapped {
            o.ascii("swapped")
        } else if guardRegion {
            o.ascii("guard")
        } else {
            o.ascii("absent")
        }
        o.pad(from: col, to: 10)
        col = o.position
        let pfn = e & PagemapEntry.pfnMask
        if swapped {
            o.ascii("swap ")
            o.decimal(e & 0x1f)
            o.byte(0x3a)
            o.hex(pfn >> 5)
        } else if present {
            if pfn != 0 { o.hex(pfn) } else { o.ascii("hidden") }
        } else {
            o.byte(0x2d)
        }
        o.pad(from: col, to: 12)
        o.countColumns(r)
        o.byte(0x5b)
        var sep = false
        func word(_ s: StaticString, _ on: Bool, _ o: inout OutputBuffer) {
            guard on else { return }
            if sep { o.byte(0x20) }
            o.ascii(s)
            sep = true
        }
        word("excl", e & (1 << 56) != 0, &o)
        word("file/shared", e & (1 << 61) != 0, &o)
        word("soft-dirty", e & (1 << 55) != 0, &o)
        word("uffd-wp", e & (1 << 57) != 0, &o)
        o.byte(0x5d)
        if r.hasFlags && r.flags != 0 {
            o.byte(0x20)
            flagNames(r.flags, json: false, into: &o)
        }
        o.kernelStateAndNewline(r)
    }

    /// Set bits by name, comma-separated; quoted for JSON.
    @inline(__always)
    func flagNames(_ flags: UInt64, json: Bool, into o: inout OutputBuffer) {
        let anon = flags & KPageFlags.anon.rawValue != 0
        var bits = flags
        var first = true
        while bits != 0 {
            let bit = bits.trailingZeroBitCount
            bits &= bits &- 1
            let i = bit == 34 && anon ? Self.anonExclusive : bit
            if !first { o.byte(0x2c) }
            first = false
            let n = lengths[i]
            if json {
                o.bytes(names + offsets[i] + n, n + 2)
            } else {
                o.bytes(names + offsets[i], n)
            }
        }
    }

    // MARK: JSON

    /// One row as a JSON object with the `PageRow` contract (every key, null for absent
    /// values); `type` adds `"type":"page"` first (JSON lines). The caller reserved
    /// `maxRowBytes` and wrote any separator.
    @inline(__always)
    public func json(_ r: PageRowFacts, type: Bool, into o: inout OutputBuffer) {
        let e = r.entry
        let present = e & (1 << 63) != 0
        let guardRegion = e & (1 << 58) != 0
        let swapped = e & (1 << 62) != 0 && !guardRegion && !present
        let pfn = e & PagemapEntry.pfnMask
        func flag(_ on: Bool, _ o: inout OutputBuffer) { if on { o.ascii("true") } else { o.ascii("false") } }
        if type { o.ascii("{\"type\":\"page\",\"address\":\"") } else { o.ascii("{\"address\":\"") }
        o.hex(r.va)
        o.ascii("\",\"count\":")
        o.decimal(r.count)
        o.ascii(",\"present\":")
        flag(present, &o)
        o.ascii(",\"swapped\":")
        flag(swapped, &o)
        if present && pfn != 0 {
            o.ascii(",\"pfn\":")
            o.decimal(pfn)
            o.ascii(",\"physAddress\":\"")
            o.hex(pfn << PagemapReader.pageShift)
            o.byte(0x22)
        } else {
            o.ascii(",\"pfn\":null,\"physAddress\":null")
        }
        if swapped {
            o.ascii(",\"swapType\":")
            o.decimal(e & 0x1f)
            o.ascii(",\"swapOffset\":")
            o.decimal(pfn >> 5)
        } else {
            o.ascii(",\"swapType\":null,\"swapOffset\":null")
        }
        o.ascii(",\"exclusive\":")
        flag(e & (1 << 56) != 0, &o)
        o.ascii(",\"softDirty\":")
        flag(e & (1 << 55) != 0, &o)
        o.ascii(",\"uffdWP\":")
        flag(e & (1 << 57) != 0, &o)
        o.ascii(",\"fileOrShared\":")
        flag(e & (1 << 61) != 0, &o)
        o.ascii(",\"guardRegion\":")
        flag(guardRegion, &o)
        o.ascii(",\"flags\":[")
        if r.hasFlags { flagNames(r.flags, json: true, into: &o) }
        if r.hasFlags {
            o.ascii("],\"kpageflags\":\"")
            o.hex(r.flags)
            o.byte(0x22)
        } else {
            o.ascii("],\"kpageflags\":null")
        }
        o.countMembers(r)
        o.ascii(",\"compound\":")
        flag(r.compound, &o)
        o.ascii(",\"pagemap\":\"")
        o.hex(e)
        o.byte(0x22)
        o.kernelStateMembersAndClose(r)
    }
}

/// The 64-bit flag word tools/mm/page-types matches and summarises in raw mode (`-r`): the
/// kernel's kpageflags with its overloaded bits moved to page-types' own slots 47-51, and
/// pagemap bits in 40 and 61-63 (tools/mm/page-types.c, expand_overloaded_flags). pinctl's
/// `--flags` expressions match this word, so every page-types name means what it means there.
public enum PageTypesFlags {
    public static let anonExclusive = 47
    public static let readahead = 48
    public static let slubFrozen = 50
    public static let slubDebug = 51
    public static let file = 61
    public static let swap = 62
    public static let mmapExclusive = 63

    @inline(__always) static func bit(_ n: Int) -> UInt64 { 1 << UInt64(n) }

    /// page-types -r's word for raw kpageflags `flags` of a page with pagemap entry `pagemap`
    /// (0 for a frame walked by PFN, as page-types without -p).
    @inline(__always)
    public static func expand(_ flags: UInt64, pagemap: UInt64 = 0) -> UInt64 {
        var f = flags
        let anon = bit(12)
        let owner2 = bit(34)
        if f & anon != 0 && f & owner2 != 0 { f ^= owner2 | bit(anonExclusive) }
        if f & bit(7) != 0 {
            if f & bit(6) != 0 { f ^= bit(6) | bit(slubFrozen) }
            if f & bit(1) != 0 { f ^= bit(1) | bit(slubDebug) }
        }
        if f & (bit(9) | bit(8)) == bit(9) { f ^= bit(9) | bit(readahead) }
        if pagemap & (1 << 55) != 0 { f |= bit(40) }
        if pagemap & (1 << 61) != 0 { f |= bit(file) }
        if pagemap & (1 << 62) != 0 { f |= bit(swap) }
        if pagemap & (1 << 56) != 0 { f |= bit(mmapExclusive) }
        return f
    }

    /// The inverse for a frame walked by PFN (no pagemap bits): raw kpageflags back from
    /// page-types' word. `expand` is a bijection there, so summaries compare exactly.
    public static func unexpand(_ word: UInt64) -> UInt64 {
        var f = word
        if f & bit(anonExclusive) != 0 { f ^= bit(anonExclusive) | bit(34) }
        if f & bit(slubFrozen) != 0 { f ^= bit(slubFrozen) | bit(6) }
        if f & bit(slubDebug) != 0 { f ^= bit(slubDebug) | bit(1) }
        if f & bit(readahead) != 0 { f ^= bit(readahead) | bit(9) }
        return f
    }

    /// page_flag_names of tools/mm/page-types.c (6.12), long forms, by bit; in this order
    /// page-types resolves a prefix ("lr" is lru, "a" is active).
    public static let names: [(bit: Int, name: String)] = [
        (0, "locked"), (1, "error"), (2, "referenced"), (3, "uptodate"), (4, "dirty"), (5, "lru"), (6, "active"),
        (7, "slab"), (8, "writeback"), (9, "reclaim"), (10, "buddy"), (11, "mmap"), (12, "anonymous"), (13, "swapcache"),
        (14, "swapbacked"), (15, "compound_head"), (16, "compound_tail"), (17, "huge"), (18, "unevictable"),
        (19, "hwpoison"), (20, "nopage"), (21, "ksm"), (22, "thp"), (23, "offline"), (24, "zero_page"), (25, "idle_page"),
        (26, "pgtable"), (32, "reserved"), (33, "mlocked"), (34, "owner_2"), (35, "private"), (36, "private_2"),
        (37, "owner_private"), (38, "arch"), (40, "softdirty"), (41, "arch_2"), (47, "anon_exclusive"),
        (48, "readahead"), (50, "slub_frozen"), (51, "slub_debug"), (61, "file"), (62, "swap"), (63, "mmap_exclusive"),
    ]

    /// pinctl's own spellings (inspect's rows) that page-types spells otherwise.
    public static let aliases: [String: Int] = [
        "anon": 12, "idle": 25, "mappedtodisk": 34, "uncached": 39, "arch_3": 42,
    ]
}

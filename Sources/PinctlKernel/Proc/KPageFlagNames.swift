/// The names of /proc/kpageflags bits as a given kernel spells them: its
/// include/linux/kernel-page-flags.h and tools/mm/page-types.c (long form). The developer
/// bits change between releases:
///
/// | bit | 6.1 (tools/vm/page-types.c) | 6.12+ (tools/mm/page-types.c) |
/// |---|---|---|
/// | 34 | mappedtodisk (PG_mappedtodisk) | owner_2 (PG_owner_2) |
/// | 39 | uncached | unused (bit39) |
/// | 42 | unnamed (bit42) | arch_3 (arm64) |
///
/// On an anon page bit 34 is PG_anon_exclusive on both (page-types -r prints
/// "anon_exclusive"), and pinctl names it so.
public struct KPageFlagNames: Sendable, Equatable {
    /// Every named bit.
    public let byBit: [Int: String]
    /// 64 entries: the name, or "bitN" for a bit this kernel does not name.
    public let table: [String]

    /// Names for a release string such as "6.18.44" or "6.1.0-50-amd64".
    public init(kernelRelease: String) {
        var m: [Int: String] = [
            0: "locked", 1: "error", 2: "referenced", 3: "uptodate", 4: "dirty", 5: "lru",
            6: "active", 7: "slab", 8: "writeback", 9: "reclaim", 10: "buddy", 11: "mmap",
            12: "anon", 13: "swapcache", 14: "swapbacked", 15: "compound_head", 16: "compound_tail",
            17: "huge", 18: "unevictable", 19: "hwpoison", 20: "nopage", 21: "ksm", 22: "thp",
            23: "offline", 24: "zero_page", 25: "idle", 26: "pgtable",
            32: "reserved", 33: "mlocked", 35: "private", 36: "private_2",
            37: "owner_private", 38: "arch", 40: "softdirty", 41: "arch_2",
        ]
        if Self.release(kernelRelease, atLeast: (6, 12)) {
            m[34] = "owner_2"
            m[42] = "arch_3"
        } else {
            m[34] = "mappedtodisk"
            m[39] = "uncached"
        }
        byBit = m
        table = (0..<64).map { m[$0] ?? "bit\($0)" }
    }

    /// The running kernel's names.
    public static let running = KPageFlagNames(kernelRelease: KernelRelease.current())

    /// The name of `bit`; bit 34 of an anon page is "anon_exclusive".
    @inline(__always)
    public func name(bit: Int, anon: Bool) -> String {
        bit == 34 && anon ? "anon_exclusive" : table[bit]
    }

    /// Whether "MAJOR.MINOR..." is at least `version`; false when it does not parse.
    static func release(_ r: String, atLeast version: (Int, Int)) -> Bool {
        let parts = r.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2, let ma = Int(parts[0]), let mi = Int(parts[1].prefix(while: { $0.isNumber })) else { return false }
        return (ma, mi) >= version
    }
}

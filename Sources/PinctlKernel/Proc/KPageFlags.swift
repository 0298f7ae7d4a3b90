/// One 64-bit entry of /proc/kpageflags (include/uapi/linux/kernel-page-flags.h and
/// fs/proc/page.c). Unknown bits stay in `rawValue` and are named "bitN", never dropped.
public struct KPageFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let locked = KPageFlags(bit: 0)
    public static let error = KPageFlags(bit: 1)
    public static let referenced = KPageFlags(bit: 2)
    public static let uptodate = KPageFlags(bit: 3)
    public static let dirty = KPageFlags(bit: 4)
    public static let lru = KPageFlags(bit: 5)
    public static let active = KPageFlags(bit: 6)
    public static let slab = KPageFlags(bit: 7)
    public static let writeback = KPageFlags(bit: 8)
    public static let reclaim = KPageFlags(bit: 9)
    public static let buddy = KPageFlags(bit: 10)
    public static let mmap = KPageFlags(bit: 11)
    public static let anon = KPageFlags(bit: 12)
    public static let swapcache = KPageFlags(bit: 13)
    public static let swapbacked = KPageFlags(bit: 14)
    public static let compoundHead = KPageFlags(bit: 15)
    public static let compoundTail = KPageFlags(bit: 16)
    public static let huge = KPageFlags(bit: 17)
    public static let unevictable = KPageFlags(bit: 18)
    public static let hwpoison = KPageFlags(bit: 19)
    public static let nopage = KPageFlags(bit: 20)
    public static let ksm = KPageFlags(bit: 21)
    public static let thp = KPageFlags(bit: 22)
    public static let offline = KPageFlags(bit: 23)
    public static let zeroPage = KPageFlags(bit: 24)
    public static let idle = KPageFlags(bit: 25)
    public static let pgtable = KPageFlags(bit: 26)
    // Developer bits (kernel-internal page flags, exposed only for debugging).
    public static let reserved = KPageFlags(bit: 32)
    public static let mlocked = KPageFlags(bit: 33)
    /// PG_mappedtodisk (PG_owner_2 from 6.12); on an anon page the same bit is
    /// PG_anon_exclusive.
    public static let mappedToDisk = KPageFlags(bit: 34)
    public static let `private` = KPageFlags(bit: 35)
    public static let private2 = KPageFlags(bit: 36)
    public static let ownerPrivate = KPageFlags(bit: 37)
    public static let arch = KPageFlags(bit: 38)
    public static let uncached = KPageFlags(bit: 39)
    public static let softdirty = KPageFlags(bit: 40)
    public static let arch2 = KPageFlags(bit: 41)

    init(bit: Int) { rawValue = 1 << UInt64(bit) }

    /// Names by bit for the running kernel (see `KPageFlagNames`).
    public static var names: [Int: String] { KPageFlagNames.running.byBit }

    /// Every set bit by the running kernel's name, in bit order. Bit 34 reads
    /// "anon_exclusive" on anon pages.
    public var names: [String] { names(using: .running) }

    /// Every set bit by the names of the given kernel, in bit order.
    public func names(using table: KPageFlagNames) -> [String] {
        var out: [String] = []
        var bits = rawValue
        while bits != 0 {
            let bit = bits.trailingZeroBitCount
            bits &= bits - 1
            out.append(table.name(bit: bit, anon: contains(.anon)))
        }
        return out
    }

    public var description: String { names.joined(separator: ",") }

    /// A flag name back to its bit ("anon_exclusive", "mappedtodisk" and "owner_2" are
    /// bit 34 whichever kernel runs).
    public static func bit(named name: String) -> Int? {
        if name == "anon_exclusive" || name == "mappedtodisk" || name == "owner_2" { return 34 }
        if name == "uncached" { return 39 }
        if name.hasPrefix("bit"), let n = Int(name.dropFirst(3)), n >= 0, n < 64 { return n }
        return KPageFlagNames.running.byBit.first(where: { $0.value == name })?.key
    }
}

/// One bit per frame of [base, base+count): the frames `phys` selected, for the reverse map
/// of `--owners`. count/8 bytes (768 KiB for 24 GiB of 4 KiB frames), whatever was selected.
final class PFNBitmap {
    let base: UInt64
    let count: UInt64
    private var words: [UInt64]
    private(set) var setCount: UInt64 = 0

    init(base: UInt64, count: UInt64) {
        self.base = base
        self.count = count
        words = [UInt64](repeating: 0, count: Int((count + 63) / 64))
    }

    func set(_ pfn: UInt64, _ n: UInt64) {
        var p = pfn - base
        let end = p + n
        while p < end {
            let bit = p & 63
            if bit == 0 && end - p >= 64 {
                setCount += 64 - UInt64(words[Int(p >> 6)].nonzeroBitCount)
                words[Int(p >> 6)] = .max
                p += 64
                continue
            }
            let m: UInt64 = 1 << bit
            if words[Int(p >> 6)] & m == 0 {
                words[Int(p >> 6)] |= m
                setCount += 1
            }
            p += 1
        }
    }

    @inline(__always)
    func contains(_ pfn: UInt64) -> Bool {
        guard pfn >= base, pfn - base < count else { return false }
        let p = pfn - base
        return words[Int(p >> 6)] & (1 << (p & 63)) != 0
    }

    /// Clears `pfn` and says whether it was set (each frame's first owner counts it).
    @inline(__always)
    func take(_ pfn: UInt64) -> Bool {
        guard pfn >= base, pfn - base < count else { return false }
        let p = pfn - base
        let m: UInt64 = 1 << (p & 63)
        let w = words[Int(p >> 6)]
        guard w & m != 0 else { return false }
        words[Int(p >> 6)] = w & ~m
        setCount -= 1
        return true
    }
}

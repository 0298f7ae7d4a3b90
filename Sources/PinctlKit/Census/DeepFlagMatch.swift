import CPinctl

/// `census --deep --flags EXPR`: which of a QUERY answer's DMA-pinned pages have page-types'
/// flag word (`PageTypesFlags.expand` of /proc/kpageflags and the pagemap entry, as
/// `inspect --flags`) matching the expression. kpageflags is read at the PFNs the module
/// reported, one pread per run of consecutive PFNs; unpinned pages are never read.
public final class DeepFlagMatch {
    let expression: FlagExpression
    let reader: PhysicalPageReader
    private var words: [UInt64]
    private var entries: [UInt64]
    /// Per page of the last answer: pinned and matching.
    private(set) var selected: [Bool]

    /// Opens /proc/kpageflags; without it (not root, no CONFIG_PROC_PAGE_MONITOR) the filter
    /// cannot be applied, and counting unfiltered pages would be a wrong answer.
    public init(expression: FlagExpression, chunkPages: Int, root: String = "/proc") throws(PinctlError) {
        let reader = PhysicalPageReader(root: root)
        guard reader.hasFlags else {
            let why = reader.unavailable.first { $0.file.hasSuffix("kpageflags") }.map { "\($0.file): \($0.reason)" }
            throw .permissionDenied("census --deep --flags reads page flags: \(why ?? "/proc/kpageflags unreadable")")
        }
        self.expression = expression
        self.reader = reader
        words = [UInt64](repeating: 0, count: chunkPages)
        entries = [UInt64](repeating: 0, count: chunkPages)
        selected = [Bool](repeating: false, count: chunkPages)
    }

    /// Marks which of the first `n` pages of `answer` (the pages of `addr`...) are DMA-pinned
    /// and match. The pagemap entries add page-types' file, swap, exclusive and thp bits.
    func select(_ answer: UnsafeBufferPointer<pinctl_page>, n: Int, addr: UInt64, pagemap: PagemapReader) throws(PinctlError) {
        let pinned = UInt32(PINCTL_PAGE_DMA_PINNED)
        var any = false
        for i in 0..<n {
            selected[i] = false
            if answer[i].flags & pinned != 0 { any = true }
        }
        guard any else { return }
        let got = try entries.withUnsafeMutableBufferPointer { (b) throws(PinctlError) -> Int in
            try pagemap.read(start: addr, into: UnsafeMutableBufferPointer(rebasing: b[0..<n]))
        }
        words.withUnsafeMutableBufferPointer { w in
            var i = 0
            while i < n {
                guard answer[i].flags & pinned != 0, answer[i].pfn != 0 else {
                    i += 1
                    continue
                }
                // A run of pinned pages at consecutive PFNs: one pread.
                var j = i + 1
                while j < n && answer[j].flags & pinned != 0 && answer[j].pfn == answer[j - 1].pfn &+ 1 { j += 1 }
                let read = reader.read(pfn: answer[i].pfn, n: j - i, flags: w.baseAddress! + i, count: nil, cgroup: nil).flags
                for k in i..<j where k - i < read {
                    let entry = k < got ? entries[k] : 0
                    selected[k] = expression.matches(PageTypesFlags.expand(w[k], pagemap: entry))
                }
                i = j
            }
        }
    }
}

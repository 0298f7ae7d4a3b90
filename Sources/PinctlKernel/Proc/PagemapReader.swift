import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// Reads /proc/PID/pagemap: entries by bulk pread, and the PAGEMAP_SCAN ioctl (6.7+)
/// that finds populated and PMD-mapped regions without copying an entry per page.
public final class PagemapReader {
    public static let pageSize: UInt64 = 4096
    public static let pageShift: UInt64 = 12

    let process: ProcessRef
    let fd: FileDescriptor
    /// nil until tried; false once the kernel said it has no PAGEMAP_SCAN.
    public private(set) var scanSupported: Bool?
    public private(set) var scanUnsupportedReason: String?
    /// Entries `read` returned so far: what a walk cost in pagemap (tests, benchmarks).
    public private(set) var entriesRead: UInt64 = 0

    /// Where user space ends for every x86-64 paging mode: nothing at or above this is in a
    /// task's address space (TASK_SIZE is below 2^47, or 2^56 with 5-level paging). Only the
    /// vsyscall page is mapped up there; pagemap has no entries for it and PAGEMAP_SCAN
    /// answers EFAULT for ranges reaching it.
    public static let userSpaceEnd: UInt64 = 1 << 63

    public init(process: ProcessRef) throws(PinctlError) {
        self.process = process
        fd = try process.open("pagemap")
    }

    /// Opens pagemap relative to the process's /proc directory. Open it before reading the
    /// maps: the file holds the address space it was opened on, and `addressSpaceAlive()`
    /// then says whether that one was still there after the maps were read.
    public init(directory: ProcessDirectory) throws(PinctlError) {
        process = directory.process
        fd = try directory.open("pagemap")
    }

    /// Whether the address space this file was opened on still exists: pagemap reads return
    /// nothing once it is torn down (exit, execve), and for a kernel thread, which has none.
    public func addressSpaceAlive() throws(PinctlError) -> Bool {
        var entry: UInt64 = 0
        return try withUnsafeMutablePointer(to: &entry) { (p) throws(PinctlError) -> Bool in
            try read(start: 0, into: UnsafeMutableBufferPointer(start: p, count: 1)) == 1
        }
    }

    /// Fills `entries` with the pagemap entries of the pages starting at virtual
    /// address `start` (page-aligned); returns how many were read.
    public func read(start: UInt64, into entries: UnsafeMutableBufferPointer<UInt64>) throws(PinctlError) -> Int {
        let offset = (start >> Self.pageShift) &* 8
        do {
            let bytes = try fd.pread(into: UnsafeMutableRawPointer(entries.baseAddress!), count: entries.count * 8, offset: offset)
            entriesRead &+= UInt64(bytes / 8)
            return bytes / 8
        } catch {
            throw process.classify(error, file: "pagemap")
        }
    }

    /// One run of pages [start, end) sharing PAGEMAP_SCAN categories.
    public struct Region: Equatable, Sendable {
        public var start: UInt64
        public var end: UInt64
        public var categories: UInt64
        public var present: Bool { categories & UInt64(CPINCTL_PAGE_IS_PRESENT) != 0 }
        public var swapped: Bool { categories & UInt64(CPINCTL_PAGE_IS_SWAPPED) != 0 }
        /// PMD-mapped THP or hugetlb.
        public var huge: Bool { categories & UInt64(CPINCTL_PAGE_IS_HUGE) != 0 }
        /// Soft-dirty: the page's own bit, or (for an unpopulated page) its VMA's
        /// VM_SOFTDIRTY, which pagemap reports as bit 55 on every entry of the VMA.
        public var softDirty: Bool { categories & UInt64(CPINCTL_PAGE_IS_SOFT_DIRTY) != 0 }
    }

    /// What the scan found ahead of a walk: `regions`, in address order, cover every page of
    /// [start, walkEnd) whose pagemap entry can be other than 0.
    public struct ScanWindow: Sendable {
        public var regions: [Region]
        public var walkEnd: UInt64

        package init(regions: [Region], walkEnd: UInt64) {
            self.regions = regions
            self.walkEnd = walkEnd
        }
    }

    /// The regions of [start, end) whose pagemap entries can be non-zero: present or swapped
    /// (every swap PTE: swap, migration, device entries, and the pte markers of uffd-wp,
    /// guard regions and poison), or soft-dirty (a VM_SOFTDIRTY VMA sets bit 55 on its holes
    /// too). The walk stops after `maxPages` such pages, so the work per call is bounded
    /// however populated the range; `walkEnd` says how far it got. nil before 6.7.
    ///
    /// What the scan cannot see: VM_PFNMAP VMAs, which it skips (pagemap reads them as holes,
    /// with bit 55 under VM_SOFTDIRTY); a caller that skips a hole checks one of its entries.
    /// `wanted` narrows the categories (`populatedCategories`: present or swapped only).
    public func scanWindow(start: UInt64, end: UInt64, maxPages: UInt64, wanted: UInt64 = nonZeroCategories) throws(PinctlError)
        -> ScanWindow?
    {
        if scanSupported == false { return nil }
        let vec = scanBuffer
        do throws(SyscallError) {
            var arg = cpinctl_pm_scan_arg()
            arg.size = UInt64(MemoryLayout<cpinctl_pm_scan_arg>.size)
            arg.start = start
            arg.end = end
            arg.max_pages = maxPages
            arg.category_anyof_mask = wanted
            arg.return_mask = wanted | UInt64(CPINCTL_PAGE_IS_HUGE)
            arg.vec_len = UInt64(vec.count)
            arg.vec = UInt64(UInt(bitPattern: vec.baseAddress))
            // Restarted with the same request when interrupted: the kernel writes only walk_end.
            let n = try systemCall("ioctl(PAGEMAP_SCAN)", process.path("pagemap")) { cpinctl_pagemap_scan(fd.raw, &arg) }
            scanSupported = true
            var out: [Region] = []
            out.reserveCapacity(n)
            for i in 0..<n {
                let r = vec[i]
                if var last = out.last, last.end == r.start, last.categories == r.categories {
                    last.end = r.end
                    out[out.count - 1] = last
                } else {
                    out.append(Region(start: r.start, end: r.end, categories: r.categories))
                }
            }
            // When the vector fills at the range's last region, 6.18 sets walk_end
            // short of the regions it returned (a call from there returns them again):
            // the walk got at least as far as the last region returned.
            return ScanWindow(regions: out, walkEnd: max(arg.walk_end, out.last?.end ?? 0))
        } catch let err {
            if err.errno == ENOTTY || (err.errno == EINVAL && scanSupported == nil) {
                scanSupported = false
                scanUnsupportedReason = "PAGEMAP_SCAN: \(err.errnoName) (the kernel predates 6.7)"
                return nil
            }
            throw process.classify(err, file: "pagemap")
        }
    }

    /// The scan's output vector, allocated on first use and reused.
    private var scanVector: UnsafeMutableBufferPointer<cpinctl_page_region>?
    private var scanBuffer: UnsafeMutableBufferPointer<cpinctl_page_region> {
        if let v = scanVector { return v }
        let v = UnsafeMutableBufferPointer<cpinctl_page_region>.allocate(capacity: 2048)
        v.initialize(repeating: cpinctl_page_region())
        scanVector = v
        return v
    }

    deinit { scanVector?.deallocate() }

    /// Categories whose pages can have a non-zero pagemap entry.
    public static let nonZeroCategories = UInt64(CPINCTL_PAGE_IS_PRESENT | CPINCTL_PAGE_IS_SWAPPED | CPINCTL_PAGE_IS_SOFT_DIRTY)
    /// Categories of pages that are there: present, or swapped (any swap PTE).
    public static let populatedCategories = UInt64(CPINCTL_PAGE_IS_PRESENT | CPINCTL_PAGE_IS_SWAPPED)

    /// Hands `body` the regions of [start, end) that are present or swapped (HUGE marked),
    /// in address order, one scan vector's worth (at most 2048 regions) at a time, so the
    /// memory is the same for a range of every other page populated as for an empty one;
    /// a region may be split between two batches. False, and `body` never called, when
    /// this kernel has no PAGEMAP_SCAN (before 6.7: ENOTTY).
    public func forEachPopulatedBatch(
        start: UInt64, end: UInt64, _ body: ([Region]) throws(PinctlError) -> Void
    ) throws(PinctlError) -> Bool {
        var cursor = start
        while cursor < end {
            guard let window = try scanWindow(start: cursor, end: end, maxPages: 0, wanted: Self.populatedCategories) else {
                return false
            }
            if !window.regions.isEmpty { try body(window.regions) }
            // walkEnd: how far the scan got (past every region it returned; scanWindow
            // corrects the kernel's walk_end where 6.18 leaves it short of them).
            if window.walkEnd <= cursor { break }
            cursor = window.walkEnd
        }
        return scanSupported != false
    }
}

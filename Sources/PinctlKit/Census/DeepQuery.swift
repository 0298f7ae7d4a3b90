import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// --deep's QUERY loop: asks the module about a range of another process (through its
/// /proc/PID/mem, opened once per process) into one reused answer buffer, and hands back
/// only the runs of DMA-pinned pages. What `KernelHelper.query` builds per page (PFN,
/// refcount, mapcount, order) --deep never reads.
final class DeepQuery {
    let helper: KernelHelper
    /// `--flags`: only pinned pages whose flags match count.
    let match: DeepFlagMatch?
    private var pages: [pinctl_page]

    init(helper: KernelHelper, chunkPages: Int, match: DeepFlagMatch? = nil) {
        self.helper = helper
        self.match = match
        self.pages = [pinctl_page](repeating: pinctl_page(), count: chunkPages)
    }

    /// Asks about [addr, addr + n pages) (n at most the chunk) of the process whose
    /// /proc/PID/mem `memory` is, and calls `run(firstPage, count)` for each DMA-pinned run
    /// (with `match`, each run of pinned pages whose flags match; `pagemap` is then read too).
    func pinnedRuns(
        addr: UInt64, pages n: Int, memory: FileDescriptor, pid: Int32, pagemap: PagemapReader, _ run: (Int, Int) -> Void
    ) throws(PinctlError) {
        try helper.requireABI()
        var q = pinctl_query()
        q.addr = addr
        q.nr_pages = UInt64(n)
        q.mem_fd = memory.raw
        q.flags = UInt32(PINCTL_PIN_REMOTE)
        let fd = helper.fd.raw
        let rc = pages.withUnsafeMutableBufferPointer { b -> Int32 in
            q.pages = UInt64(UInt(bitPattern: b.baseAddress))
            return cpinctl_kmod_query(fd, &q)
        }
        guard rc == 0 else {
            let e = helper.fail("PINCTL_IOC_QUERY", "\(hex(addr))+\(n) pages")
            if e.errno == ESRCH { throw .processNotFound(pid: pid) }
            throw .system(e)
        }
        let pinned = UInt32(PINCTL_PAGE_DMA_PINNED)
        if let match {
            try pages.withUnsafeBufferPointer { (b) throws(PinctlError) in
                try match.select(b, n: n, addr: addr, pagemap: pagemap)
            }
            let selected = match.selected
            var i = 0
            while i < n {
                guard selected[i] else {
                    i += 1
                    continue
                }
                var j = i + 1
                while j < n && selected[j] { j += 1 }
                run(i, j - i)
                i = j
            }
            return
        }
        pages.withUnsafeBufferPointer { b in
            var i = 0
            while i < n {
                guard b[i].flags & pinned != 0 else {
                    i += 1
                    continue
                }
                var j = i + 1
                while j < n && b[j].flags & pinned != 0 { j += 1 }
                run(i, j - i)
                i = j
            }
        }
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// What one probe did.
public struct ProbeResult: Codable, Sendable {
    public var probe: String
    /// "ran", "refused", "unsupported" or "skipped".
    public var outcome: String
    public var detail: String
}

/// A run of pages with one verdict.
public struct VerdictRun: Codable, Sendable {
    public var start: String
    public var pages: UInt64
    /// "held" (same PFN), "moved" (present at another PFN) or "evicted" (no longer present).
    public var verdict: String
}

/// `pin --verify`: after pinning, try to move or evict the pages, then compare.
public struct VerifyReport: Codable, Sendable {
    public var probes: [ProbeResult]
    public var held: UInt64
    public var moved: UInt64
    public var evicted: UInt64
    public var runs: [VerdictRun]

    /// Some probe tried to move or evict the pages (it ran, or the kernel refused it). When
    /// every probe was skipped or unsupported (as nobody: compaction and soft-offline need
    /// root), `held` says only that the pages did not move by themselves.
    public var tested: Bool

    public init(probes: [ProbeResult], held: UInt64, moved: UInt64, evicted: UInt64, runs: [VerdictRun]) {
        self.probes = probes
        self.held = held
        self.moved = moved
        self.evicted = evicted
        self.runs = runs
        tested = probes.contains { $0.outcome == "ran" || $0.outcome == "refused" }
    }
}

public enum PinVerifier {
    public static func verify(_ range: MappedRange) throws(PinctlError) -> VerifyReport {
        let before = try PfnSnapshot.take(base: range.base, pages: range.pages)
        var probes: [ProbeResult] = []
        probes.append(collapse(range))
        probes.append(pageout(range))
        probes.append(compact())
        probes.append(softOffline(range))
        let after = try PfnSnapshot.take(base: range.base, pages: range.pages)
        return compare(before, after, probes: probes)
    }

    static func compare(_ before: PfnSnapshot, _ after: PfnSnapshot, probes: [ProbeResult]) -> VerifyReport {
        var r = VerifyReport(probes: probes, held: 0, moved: 0, evicted: 0, runs: [])
        for i in 0..<min(before.entries.count, after.entries.count) {
            let b = before.entries[i], a = after.entries[i]
            let verdict: String
            if a >> 63 == 0 {
                verdict = "evicted"
                r.evicted += 1
            } else if b >> 63 == 1 && (a & PagemapEntry.pfnMask) == (b & PagemapEntry.pfnMask) {
                verdict = "held"
                r.held += 1
            } else {
                verdict = "moved"
                r.moved += 1
            }
            if var last = r.runs.last, last.verdict == verdict {
                last.pages += 1
                r.runs[r.runs.count - 1] = last
            } else {
                r.runs.append(VerdictRun(start: hex(before.base + UInt64(i) << PagemapReader.pageShift), pages: 1, verdict: verdict))
            }
        }
        return r
    }

    static func madviseProbe(_ name: String, _ addr: UInt64, _ len: UInt64, _ advice: Int32, explain: (SyscallError) -> ProbeResult)
        -> ProbeResult
    {
        do {
            try MemorySyscalls.madvise(addr, len, advice, name: name)
            return ProbeResult(probe: name, outcome: "ran", detail: "the kernel accepted it")
        } catch {
            return explain(error)
        }
    }

    /// MADV_COLLAPSE copies 4K pages into a new huge page: any long-term pin makes it fail
    /// with EAGAIN and nothing moves; an mlocked range is collapsed and moves.
    static func collapse(_ range: MappedRange) -> ProbeResult {
        let huge = PinRangeSpec.hugeSize
        let lo = roundUp(range.base, to: huge) ?? range.base
        let hi = (range.base + range.length) & ~(huge - 1)
        guard range.backing != .hugetlb else {
            return ProbeResult(probe: "MADV_COLLAPSE", outcome: "skipped", detail: "hugetlb pages are already huge")
        }
        guard hi > lo else {
            return ProbeResult(probe: "MADV_COLLAPSE", outcome: "skipped", detail: "the range holds no whole 2 MiB block")
        }
        return madviseProbe("MADV_COLLAPSE", lo, hi - lo, CPINCTL_MADV_COLLAPSE) { e in
            switch e.errno {
            case EAGAIN:
                return ProbeResult(probe: "MADV_COLLAPSE", outcome: "refused", detail: "EAGAIN: pages are pinned (or busy), nothing moved")
            case EINVAL:
                return ProbeResult(
                    probe: "MADV_COLLAPSE", outcome: "unsupported",
                    detail: "EINVAL: no THP for this mapping here (kernel < 6.1, THP 'never', or shmem THP off)")
            case ENOMEM:
                return ProbeResult(probe: "MADV_COLLAPSE", outcome: "refused", detail: "ENOMEM: no free huge page to collapse into")
            case EBUSY:
                return ProbeResult(
                    probe: "MADV_COLLAPSE", outcome: "refused", detail: "EBUSY: the range is armed for userfaultfd (or busy): nothing moved"
                )
            default: return ProbeResult(probe: "MADV_COLLAPSE", outcome: "refused", detail: e.description)
            }
        }
    }

    static func swapPresent() -> Bool {
        ((try? readProcText("/proc/swaps")) ?? "").split(separator: "\n").count > 1
    }

    /// MADV_PAGEOUT reclaims the range now: an mlocked range refuses (EINVAL), a pinned one
    /// stays. Anonymous and shmem pages need swap to go anywhere.
    static func pageout(_ range: MappedRange) -> ProbeResult {
        if range.backing != .file && !swapPresent() {
            return ProbeResult(
                probe: "MADV_PAGEOUT", outcome: "skipped",
                detail: "no swap device: anonymous and shmem pages cannot be paged out (add swap or zram)")
        }
        return madviseProbe("MADV_PAGEOUT", range.base, range.length, CPINCTL_MADV_PAGEOUT) { e in
            if e.errno == EINVAL {
                return ProbeResult(
                    probe: "MADV_PAGEOUT", outcome: "refused", detail: "EINVAL: the range is locked (VM_LOCKED) or not pageable")
            }
            return ProbeResult(probe: "MADV_PAGEOUT", outcome: "refused", detail: e.description)
        }
    }

    /// Whole-system compaction migrates movable pages; pinned pages are not movable.
    static func compact() -> ProbeResult {
        let fd: FileDescriptor
        do throws(SyscallError) {
            fd = try FileDescriptor.open("/proc/sys/vm/compact_memory", flags: O_WRONLY)
        } catch {
            return ProbeResult(
                probe: "compact_memory", outcome: "skipped", detail: "\(error.errnoName): compaction needs root and CONFIG_COMPACTION")
        }
        do throws(SyscallError) {
            try fd.writeAll([UInt8(ascii: "1"), UInt8(ascii: "\n")])
        } catch {
            return ProbeResult(probe: "compact_memory", outcome: "refused", detail: error.description)
        }
        return ProbeResult(probe: "compact_memory", outcome: "ran", detail: "compacted every zone")
    }

    /// MADV_SOFT_OFFLINE migrates a page away and retires the old frame (it becomes
    /// hwpoison for good), so only the first page is offered. Long-term pinned: EBUSY.
    static func softOffline(_ range: MappedRange) -> ProbeResult {
        madviseProbe("MADV_SOFT_OFFLINE", range.base, PagemapReader.pageSize, CPINCTL_MADV_SOFT_OFFLINE) { e in
            switch e.errno {
            case EINVAL:
                return ProbeResult(
                    probe: "MADV_SOFT_OFFLINE", outcome: "unsupported", detail: "EINVAL: the kernel has no CONFIG_MEMORY_FAILURE")
            case EPERM: return ProbeResult(probe: "MADV_SOFT_OFFLINE", outcome: "skipped", detail: "EPERM: needs CAP_SYS_ADMIN")
            case EBUSY:
                return ProbeResult(probe: "MADV_SOFT_OFFLINE", outcome: "refused", detail: "EBUSY: the page is pinned and cannot migrate")
            default: return ProbeResult(probe: "MADV_SOFT_OFFLINE", outcome: "refused", detail: e.description)
            }
        }
    }
}

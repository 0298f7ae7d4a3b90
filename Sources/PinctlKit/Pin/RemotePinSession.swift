#if canImport(Glibc)
    import Glibc
#endif

/// `pin --pid PID RANGE`: the kernel helper pins a range of another process
/// (pin_user_pages_remote), named by a descriptor of its /proc/PID/mem opened once here: the
/// open checks ptrace attach rights, and the pins land in the address space it found even if
/// the target execs meanwhile (the module then refuses: ESRCH). The pins belong to this
/// process's /dev/pinctl descriptor and go when it closes.
public final class RemotePinSession {
    public let process: ProcessRef
    let helper: KernelHelper
    let segments: [Segment]
    let vmas: [VMA]
    let flags: KernelPinFlags
    let memory: FileDescriptor
    private var pinned: [UInt64] = []

    public init(process: ProcessRef, target: InspectTarget, write: Bool, longterm: Bool, helper: KernelHelper) throws(PinctlError) {
        self.process = process
        self.helper = helper
        memory = try KernelHelper.openProcessMemory(pid: process.pid)
        vmas = try ProcMaps.parse(process.readText("maps"))
        segments = try TargetResolver.segments(for: target, in: vmas, process: process)
        var f: KernelPinFlags = [.remote]
        if write { f.insert(.write) }
        if longterm { f.insert(.longterm) }
        flags = f
    }

    public func pin() throws(PinctlError) -> PinReport {
        let t0 = SuspendingClock.now
        var pages: UInt64 = 0
        var runs: UInt64 = 0
        // PFNs only where the module shows them (CAP_SYS_ADMIN, as pagemap): else no run count.
        let wantPFNs = (try? helper.version().showsPFNs) ?? false
        do {
            for seg in segments {
                let (h, pfns) = try helper.pin(
                    addr: seg.start, pages: seg.pages, flags: flags, memory: memory, pid: process.pid, wantPFNs: wantPFNs)
                pinned.append(h)
                pages += seg.pages
                var segRuns = PhysicalRuns()
                for pfn in pfns { segRuns.add(pfn: pfn) }
                runs += segRuns.count
            }
        } catch {
            release()
            throw error
        }
        let elapsed = (SuspendingClock.now - t0).inSeconds
        let status = ProcStatus.parse((try? process.readText("status")) ?? "")
        let first = segments.first!, last = segments.last!
        let names = [flags.contains(.write) ? "FOLL_WRITE" : nil, flags.contains(.longterm) ? "FOLL_LONGTERM" : nil].compactMap { $0 }
        return PinReport(
            pid: getpid(), method: PinMethod.kmod.rawValue, chosenBecause: nil,
            detail:
                "pin_user_pages_remote(\(names.isEmpty ? "0" : names.joined(separator: "|"))) in process \(process.pid) by /dev/pinctl; \(pinned.count) handle\(pinned.count == 1 ? "" : "s")",
            range: "pid \(process.pid) \(hex(first.start))-\(hex(last.end))", start: hex(first.start), end: hex(last.end),
            backing: vmas[first.vmaIndex].path.isEmpty ? "anonymous" : vmas[first.vmaIndex].path, bytes: pages << PagemapReader.pageShift,
            pages: pages, residentPages: pages, pinnedPages: pages, pfnRuns: wantPFNs ? runs : nil, totalMs: elapsed * 1000,
            pagesPerSecond: elapsed > 0 ? Double(pages) / elapsed : 0, vmLck: status.vmLck, vmPin: status.vmPin, verify: nil,
            pfnHidden: !wantPFNs)
    }

    /// Compaction, then the target's PFNs compared with before (probes that need madvise in
    /// the target's mm are left to `pin` of pinctl's own ranges).
    public func verify() throws(PinctlError) -> VerifyReport {
        var befores: [PfnSnapshot] = []
        for seg in segments { befores.append(try PfnSnapshot.take(base: seg.start, pages: seg.pages, process: process)) }
        let probe = PinVerifier.compact()
        var report = VerifyReport(probes: [probe], held: 0, moved: 0, evicted: 0, runs: [])
        for (i, seg) in segments.enumerated() {
            let after = try PfnSnapshot.take(base: seg.start, pages: seg.pages, process: process)
            let r = PinVerifier.compare(befores[i], after, probes: [])
            report.held += r.held
            report.moved += r.moved
            report.evicted += r.evicted
            report.runs += r.runs
        }
        return report
    }

    public func release() {
        if !pinned.isEmpty { _ = try? helper.unpinAll() }
        pinned = []
    }

    deinit { release() }
}

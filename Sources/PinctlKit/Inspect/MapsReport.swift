/// `pinctl maps`: a process's VMAs with the facts that decide whether memory can be pinned,
/// moved or reclaimed, and the process's VmLck and VmPin. The command streams it
/// (`MapsScan`); this is the whole report, for callers that want it in memory.
public struct MapsReport: Codable, Sendable {
    public var pid: Int32
    /// comm, U+FFFD for bytes that are not UTF-8; `nameBytes` then holds them in hex.
    public var name: String
    public var nameBytes: String? = nil
    public var vmLck: UInt64?
    public var vmPin: UInt64?
    public var vmRSS: UInt64?
    public var vmas: [VMAReport]

    public static func read(_ process: ProcessRef) throws(PinctlError) -> MapsReport {
        let collector = Collector()
        try MapsScan.stream(process, to: collector)
        return collector.report
    }

    /// A MapsWriter that keeps what it is given.
    private final class Collector: MapsWriter {
        var report = MapsReport(pid: 0, name: "", vmLck: nil, vmPin: nil, vmRSS: nil, vmas: [])
        func begin(_ h: MapsHead) {
            report = MapsReport(
                pid: h.pid, name: h.name, nameBytes: h.nameBytes, vmLck: h.vmLck, vmPin: h.vmPin, vmRSS: h.vmRSS, vmas: [])
        }
        func vma(_ v: VMAReport) { report.vmas.append(v) }
        func finish() {}
        func fail(_ error: PinctlError) -> Bool { false }
    }
}

/// What `pinctl maps` prints before the VMAs: the process and its VmLck, VmPin and VmRSS.
public struct MapsHead: Sendable {
    public var pid: Int32
    public var name: String
    public var nameBytes: String? = nil
    public var vmLck: UInt64?
    public var vmPin: UInt64?
    public var vmRSS: UInt64?
}

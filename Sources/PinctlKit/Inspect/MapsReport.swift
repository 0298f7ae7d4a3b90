/// `pinctl maps`: a process's VMAs with the facts that decide whether memory can be pinned,
/// moved or reclaimed, and the process's VmLck and VmPin.
public struct MapsReport: Codable, Sendable {
    public var pid: Int32
    public var name: String
    public var vmLck: UInt64?
    public var vmPin: UInt64?
    public var vmRSS: UInt64?
    public var vmas: [VMAReport]

    public static func read(_ process: ProcessRef) throws(PinctlError) -> MapsReport {
        let directory = try ProcessDirectory(process)
        // As in Inspector: an address space alive after smaps was read proves it whole.
        let pagemap = try PagemapReader(directory: directory)
        let smaps = try ProcSmaps.parse(bytes: directory.readBytes("smaps"))
        let status = ProcStatus.parse(try directory.readText("status"))
        // comm unescaped (status escapes some bytes of it, not all); rendering escapes it.
        var comm = try directory.readBytes("comm")
        if comm.last == ProcText.newline { comm.removeLast() }
        guard try pagemap.addressSpaceAlive() else { throw directory.addressSpaceGone(while: "its maps were read") }
        return MapsReport(
            pid: process.pid, name: String(decoding: comm, as: UTF8.self), vmLck: status.vmLck, vmPin: status.vmPin,
            vmRSS: status.vmRSS, vmas: smaps.map(VMAReport.init))
    }
}

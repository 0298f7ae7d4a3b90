/// The memory lines of /proc/PID/status that matter to pinning.
public struct ProcStatus: Equatable, Sendable, Codable {
    public var name: String
    /// Bytes of mm->locked_vm (mlock, VFIO type1).
    public var vmLck: UInt64?
    /// Bytes of mm->pinned_vm (io_uring buffers, RDMA umem, drivers that charge it).
    public var vmPin: UInt64?
    public var vmRSS: UInt64?
    public var vmSize: UInt64?
    public var vmSwap: UInt64?

    /// Parses the text; fields a kernel does not print stay nil.
    public static func parse(_ text: String) -> ProcStatus {
        var s = ProcStatus(name: "")
        // Lines end at every newline byte, as in ProcText: split on Characters, "\r\n" is one
        // grapheme and would join a line to the next.
        for bytes in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let line = Substring(bytes)
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let value = line[line.index(after: colon)...]
            switch key {
            case "Name": s.name = String(value.trimmingSpaces())
            case "VmLck": s.vmLck = ProcSmaps.parseValue(value)
            case "VmPin": s.vmPin = ProcSmaps.parseValue(value)
            case "VmRSS": s.vmRSS = ProcSmaps.parseValue(value)
            case "VmSize": s.vmSize = ProcSmaps.parseValue(value)
            case "VmSwap": s.vmSwap = ProcSmaps.parseValue(value)
            default: break
            }
        }
        return s
    }
}

// libFuzzer target for ProcStatus: the memory lines of /proc/PID/status (VmLck, VmPin, ...)
// that `pin` and `maps` report, and the CapEff line ProcessLimits reads.
@testable import PinctlKernel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProcStatus(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    let status = ProcStatus.parse(text)
    // Each line is read on its own, and the last line of a key wins: the status of the lines
    // one by one is the status of the text.
    var byLine = ProcStatus(name: "")
    for bytes in text.utf8.split(separator: UInt8(ascii: "\n")) {
        let line = String(Substring(bytes))
        let one = ProcStatus.parse(line)
        guard let colon = line.firstIndex(of: ":") else { continue }
        switch line[..<colon] {
        case "Name": byLine.name = one.name
        case "VmLck": byLine.vmLck = one.vmLck
        case "VmPin": byLine.vmPin = one.vmPin
        case "VmRSS": byLine.vmRSS = one.vmRSS
        case "VmSize": byLine.vmSize = one.vmSize
        case "VmSwap": byLine.vmSwap = one.vmSwap
        default: break
        }
    }
    require(status == byLine, "the text parses to \(status), its lines one by one to \(byLine)")
    for v in [status.vmLck, status.vmPin, status.vmRSS, status.vmSize, status.vmSwap] {
        if let v { _ = humanBytes(v) }
    }
    return 0
}

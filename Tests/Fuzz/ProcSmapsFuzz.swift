// libFuzzer target for ProcSmaps: /proc/PID/smaps text, with and without counters kept, and
// `pinctl maps`'s text and JSON rendering of it.
import Glibc

@testable import PinctlKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProcSmaps(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    let all: [SmapsEntry]
    do {
        all = try ProcSmaps.parse(text)
    } catch {
        _ = (error.description, error.exitStatus)
        let skipping = try? ProcSmaps.parse(text, wantFields: { _ in false })
        require(skipping == nil, "smaps refused with every counter kept but accepted with none")
        return 0
    }
    // Skipping the counters of some VMAs changes nothing else (Inspector reads only the VMAs it needs).
    let want: (VMA) -> Bool = { ($0.start >> 12) & 1 == 0 }
    let some: [SmapsEntry]
    do {
        some = try ProcSmaps.parse(text, wantFields: want)
    } catch {
        require(false, "smaps accepted with every counter kept, refused with some: \(error)")
        return 0
    }
    require(some.count == all.count, "\(all.count) VMAs with every counter, \(some.count) with some")
    for (a, s) in zip(all, some) {
        require(a.vma == s.vma, "the VMAs differ: \(a.vma) and \(s.vma)")
        if want(a.vma) {
            require(a == s, "\(a.vma): counters differ when others are skipped")
        } else {
            require(s.fields.isEmpty && s.vmFlags.isEmpty, "\(a.vma): counters kept for a VMA that wanted none")
        }
        require(a.vma.start <= a.vma.end, "\(a.vma): start above end")
    }
    let report = MapsReport(pid: 1, name: "fuzz", vmLck: nil, vmPin: nil, vmRSS: nil, vmas: all.map(VMAReport.init))
    let head = MapsHead(pid: report.pid, name: report.name, vmLck: nil, vmPin: nil, vmRSS: nil)
    let rendered = MapsTextWriter.head(head) + report.vmas.map(MapsTextWriter.line).joined()
    require(rendered.utf8.filter { $0 == UInt8(ascii: "\n") }.count == all.count + 2, "maps output is not one line per VMA")
    // The streaming writer `maps --json` uses (to /dev/null: what is checked is that it runs).
    let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
    let writer = MapsJSONWriter(fd: devNull)
    do throws(PinctlError) {
        try writer.begin(head)
        for v in report.vmas { try writer.vma(v) }
        try writer.finish()
    } catch {
        require(false, "maps --json failed: \(error)")
    }
    close(devNull)
    return 0
}

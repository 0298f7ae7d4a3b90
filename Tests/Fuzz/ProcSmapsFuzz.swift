// libFuzzer target for ProcSmaps: /proc/PID/smaps text, with and without counters kept,
// streamed from a file in chunks of any size as `pinctl maps` and inspect read it, and
// `pinctl maps`'s text and JSON writers.
@testable import PinctlKit
@testable import PinctlRender

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProcSmaps(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    checkChunkedParse(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
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
    let reports = all.map(VMAReport.init)
    checkMapsWriters(reports, failAfter: all.count / 2)
    let report = MapsReport(pid: 1, name: "fuzz", vmLck: nil, vmPin: nil, vmRSS: nil, vmas: reports)
    do {
        _ = try renderJSON(report)
    } catch {
        require(false, "MapsReport's JSON failed: \(error)")
    }
    return 0
}

/// The bytes as read (not repaired to UTF-8), streamed from a file in chunks of a size the
/// input picks (1 to 64 bytes: lines cut anywhere) and of a page: exactly ProcSmaps.parse's
/// VMAs, or refused by both.
func checkChunkedParse(_ bytes: [UInt8]) {
    let whole = try? ProcSmaps.parse(bytes: bytes)
    let small = 1 + Int(bytes.reduce(UInt32(truncatingIfNeeded: bytes.count)) { $0 &* 31 &+ UInt32($1) } % 64)
    for chunk in [small, 4096] {
        var streamed: [SmapsEntry] = []
        var refused = false
        do {
            try ProcSmaps.stream(fileHolding(bytes), chunk: chunk) { streamed.append($0) }
        } catch {
            refused = true
        }
        if let whole {
            require(!refused, "smaps parsed whole, refused in chunks of \(chunk)")
            require(streamed == whole, "smaps in chunks of \(chunk): \(streamed.count) VMAs, whole: \(whole.count), or they differ")
        } else {
            require(refused, "smaps refused whole, accepted in chunks of \(chunk)")
        }
    }
}

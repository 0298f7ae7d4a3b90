// libFuzzer target for `inspect PID TARGET`: InspectTarget.parse and ProcessRef.parse on the
// first line, then TargetResolver on the VMAs of the rest (a maps text shaped as the kernel
// writes it) or, without one, on a captured 6.18 maps.
@testable import PinctlKit

let capturedMaps = try! ProcMaps.parse(
    """
    00400000-00401000 r--p 00000000 fe:00 16223762                           /tmp/capture/proc-capture
    00401000-0047b000 r-xp 00001000 fe:00 16223762                           /tmp/capture/proc-capture
    004aa000-004c0000 rw-p 00000000 00:00 0
    2d7a1000-2d7c3000 rw-p 00000000 00:00 0                                  [heap]
    7fe8bda00000-7fe8bde00000 rw-p 00000000 00:00 0
    7fe8bde1c000-7fe8bde20000 r--s 00000000 fe:00 16223233                   /tmp/pinctl-capture.data
    7fe8bde21000-7fe8bde25000 rw-s 00000000 00:01 1050                       /memfd:pinctl-memfd (deleted)
    7fe8bdf37000-7fe8bdf39000 r-xp 00000000 00:00 0                          [vdso]
    7ffcb819d000-7ffcb81be000 rw-p 00000000 00:00 0                          [stack]
    ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
    """)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInspectTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    let firstLine = text.utf8.firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
    let line = String(text[..<firstLine])
    let mapsText = firstLine < text.endIndex ? String(text[text.index(after: firstLine)...]) : ""

    if let process = try? ProcessRef.parse(line) {
        require(process.pid > 0, "'\(line)' parses to pid \(process.pid)")
        _ = process.description
    }

    guard let target = accepted(line, InspectTarget.parse) else { return 0 }
    switch target {
    case .address: break
    case .range(let start, let end): require(end > start, "'\(line)': range \(hex(start))-\(hex(end)) is empty or backwards")
    case .mapping(let name): require(!name.isEmpty, "'\(line)': empty mapping name")
    }
    let again = try? InspectTarget.parse(target.description)
    require(again == target, "'\(target.description)' parses to \(String(describing: again)), not \(target)")

    // The resolver is only promised maps as the kernel writes them: ascending, disjoint,
    // non-empty, page-aligned (so no VMA holds the last page below 2^64, whose end overflows).
    let mask = PagemapReader.pageSize - 1
    var vmas = capturedMaps
    if let parsed = try? ProcMaps.parse(mapsText), !parsed.isEmpty,
        parsed.allSatisfy({ $0.start < $0.end && ($0.start | $0.end) & mask == 0 }),
        zip(parsed, parsed.dropFirst()).allSatisfy({ $0.end <= $1.start })
    {
        vmas = parsed
    }
    let touchable = Set(vmas.indices.filter { TargetResolver.mayTouch(target)(vmas[$0]) })
    let segments: [Segment]
    do {
        segments = try TargetResolver.segments(for: target, in: vmas, process: ProcessRef(pid: 1))
    } catch {
        if case .notMapped = error {} else { require(false, "\(target): \(error) is not notMapped") }
        require(touchable.isEmpty, "\(target): segments found none, mayTouch \(touchable.sorted())")
        return 0
    }
    for s in segments {
        let v = vmas[s.vmaIndex]
        require(s.start < s.end, "\(target): empty segment \(hex(s.start))-\(hex(s.end))")
        require(s.start >= v.start && s.end <= v.end, "\(target): segment \(hex(s.start))-\(hex(s.end)) outside its VMA")
        require(s.start & mask == 0, "\(target): segment start \(hex(s.start)) not page-aligned")
        _ = s.pages
    }
    require(
        Set(segments.map(\.vmaIndex)) == touchable,
        "\(target): segments cover VMAs \(segments.map(\.vmaIndex)), mayTouch \(touchable.sorted())")
    return 0
}

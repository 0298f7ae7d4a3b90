// libFuzzer target for ProcMaps: /proc/PID/maps text, and `pinctl maps`'s writers' rendering of it.
@testable import PinctlKernel
@testable import PinctlKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProcMaps(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    let lines = text.utf8.split(separator: UInt8(ascii: "\n")).map { Substring($0) }
    let vmas: [VMA]
    do {
        vmas = try ProcMaps.parse(text)
    } catch {
        _ = (error.description, error.exitStatus)
        require(lines.contains { ProcMaps.parseLine($0) == nil }, "maps refused, yet every line parses alone")
        return 0
    }
    require(vmas.count == lines.count, "\(lines.count) lines gave \(vmas.count) VMAs")
    for (vma, line) in zip(vmas, lines) {
        require(vma.start <= vma.end, "'\(line)': start above end")
        require(ProcMaps.parseLine(line) == vma, "'\(line)' parses differently alone")
        require(vma.perms.utf8.count == 4, "'\(line)': perms '\(vma.perms)' is not 4 bytes")
        _ = (vma.size, vma.basename, vma.isShared, vma.isWritable, vma.isReadable)
        // Written back as the kernel writes it, the line parses to the same VMA.
        let written =
            "\(String(vma.start, radix: 16))-\(String(vma.end, radix: 16)) \(vma.perms) \(String(vma.offset, radix: 16)) \(vma.dev) \(vma.inode) \(vma.path)"
        require(ProcMaps.parseLine(Substring(written)) == vma, "'\(written)' does not parse back to \(vma)")
    }
    checkMapsWriters(vmas.map { VMAReport(SmapsEntry(vma: $0, fields: [:], vmFlags: [])) }, failAfter: vmas.count - 1)
    return 0
}

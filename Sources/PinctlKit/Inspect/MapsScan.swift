/// Reads `pinctl maps` for a writer: the process's status first, then each VMA of smaps as
/// it is read (a chunk of the file at a time), so memory does not grow with the number of
/// mappings (a process may have 65,530 by default, and hosts running search engines raise
/// vm.max_map_count to 262,144 and more).
public enum MapsScan {
    /// The address space is proven whole as in Inspector: pagemap, opened first, holds it;
    /// alive after smaps was read means every VMA came from it. When it went away meanwhile
    /// (exit, execve) the error is thrown after the VMAs already written, and the writer's
    /// `fail` ends the output (README, "Streaming").
    public static func stream(_ process: ProcessRef, to writer: any MapsWriter) throws(PinctlError) {
        let directory = try ProcessDirectory(process)
        let pagemap = try PagemapReader(directory: directory)
        let status = ProcStatus.parse(try directory.readText("status"))
        // comm unescaped (status escapes some bytes of it, not all); rendering escapes it.
        var comm = try directory.readBytes("comm")
        if comm.last == ProcText.newline { comm.removeLast() }
        let name = TerminalEscaping.textAndHexBytes(comm)
        try writer.begin(
            MapsHead(
                pid: process.pid, name: name.text, nameBytes: name.hexBytes, vmLck: status.vmLck, vmPin: status.vmPin,
                vmRSS: status.vmRSS))
        try directory.streamSmaps { (read) throws(PinctlError) in
            var e = read
            e.vma.unlinked = directory.unlinked(e.vma)
            try writer.vma(VMAReport(e))
        }
        guard try pagemap.addressSpaceAlive() else { throw directory.addressSpaceGone(while: "its maps were read") }
        try writer.finish()
    }
}

/// A streaming renderer of `pinctl maps` to a descriptor: the head, each VMA as smaps is
/// read, then whatever closes the output, or an error.
public protocol MapsWriter: AnyObject {
    func begin(_ head: MapsHead) throws(PinctlError)
    func vma(_ v: VMAReport) throws(PinctlError)
    func finish() throws(PinctlError)
    /// After a failure. Writes what the format says a failed report ends with, and returns
    /// whether stdout now carries the error (so no second error object is printed).
    func fail(_ error: PinctlError) -> Bool
}

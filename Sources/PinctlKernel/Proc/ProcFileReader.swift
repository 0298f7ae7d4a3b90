#if canImport(Glibc)
    import Glibc
#endif

/// The one way pinctl reads /proc and /sys text. The kernel makes these files anew on each
/// read(2), and a file may span several reads, so each is read to its end: whole
/// (`bytes`, `text`), a chunk of whole lines at a time (`forEachChunk`, for smaps), or, for
/// the census's many small files, relative to a directory into one reused buffer, telling a
/// process that went away (skip it, count it) from one that may not be read.
package struct ProcFileReader {
    /// A per-process failure: the process is skipped and counted; `exhausted` (pinctl out of
    /// file descriptors or memory) ends the scan, which would otherwise skip every process
    /// and report that nothing pins.
    package enum Skip: Error {
        case vanished
        case unreadable
        case exhausted(Int32)
    }

    var buffer = [UInt8](repeating: 0, count: 16384)
    /// readlinkat's buffer for fd link targets (PATH_MAX), reused for every fd.
    package var linkTarget = [UInt8](repeating: 0, count: 4096)

    package init() {}

    package static func skip(_ err: Int32) -> Skip {
        switch err {
        case ENOENT, ESRCH: return .vanished
        // pinctl's own shortage, not the process's: it would skip every process alike.
        case EMFILE, ENFILE, ENOMEM: return .exhausted(err)
        default: return .unreadable
        }
    }

    static func open(at dirFd: Int32, _ name: String) throws(Skip) -> FileDescriptor {
        do throws(SyscallError) {
            return try FileDescriptor.open(name, at: dirFd, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        } catch {
            throw skip(error.errno)
        }
    }

    /// The file's bytes; the buffer grows for large ones (smaps, fdinfo of a ring with
    /// thousands of buffers) and stays grown.
    package mutating func read(at dirFd: Int32, _ name: String) throws(Skip) -> [UInt8] {
        let fd = try Self.open(at: dirFd, name)
        var done = 0
        while true {
            if done == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let n: Int
            do throws(SyscallError) {
                n = try fd.read(into: &buffer, from: done)
            } catch {
                throw Self.skip(error.errno)
            }
            if n == 0 { return Array(buffer[0..<done]) }
            done += n
        }
    }

    /// The bytes of the file at `path`, read to its end.
    package static func bytes(_ path: String) throws(SyscallError) -> [UInt8] {
        try bytes(of: FileDescriptor.openReadOnly(path))
    }

    /// The text of the file at `path`; bytes that are not UTF-8 become U+FFFD.
    package static func text(_ path: String) throws(SyscallError) -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }

    /// The bytes of an open file (opened in a checked directory), from where it stands to its end.
    package static func bytes(of file: FileDescriptor) throws(SyscallError) -> [UInt8] {
        var out: [UInt8] = []
        let size = 65536
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        defer { chunk.deallocate() }
        while true {
            let n = try file.read(into: chunk, count: size)
            if n == 0 { return out }
            out.append(contentsOf: UnsafeRawBufferPointer(start: chunk, count: n))
        }
    }

    /// Reads `file` a chunk at a time and hands `body` each run of whole lines; a line longer
    /// than a chunk grows the buffer until it ends. The bytes after the last newline at the
    /// end of the file are the last line. A failed read(2) is `readError`'s error.
    static func forEachChunk(
        of file: FileDescriptor, chunk: Int = 256 << 10, readError: (SyscallError) -> PinctlError,
        _ body: (ProcText) throws(PinctlError) -> Void
    ) throws(PinctlError) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n: Int
            do throws(SyscallError) {
                n = try file.read(into: &buffer)
            } catch {
                throw readError(error)
            }
            if n == 0 { break }
            pending.append(contentsOf: buffer[0..<n])
            guard let lastNewline = pending.lastIndex(of: ProcText.newline) else { continue }
            let whole = Array(pending[...lastNewline])
            pending.removeSubrange(...lastNewline)
            try body(ProcText(bytes: whole))
        }
        if !pending.isEmpty { try body(ProcText(bytes: pending)) }
    }
}

/// A /proc or /sys text file whole (`ProcFileReader.text`).
public func readProcText(_ path: String) throws(SyscallError) -> String {
    try ProcFileReader.text(path)
}

#if canImport(Glibc)
    import Glibc
#endif

/// Reads small /proc files relative to a directory fd into one reused buffer, telling a
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
}

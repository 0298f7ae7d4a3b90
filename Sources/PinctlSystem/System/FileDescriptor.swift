#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An owned file descriptor: closed exactly once, when the value is dropped.
public final class FileDescriptor {
    public let raw: Int32
    public let path: String

    public init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit {
        // Never retry close: on Linux the descriptor is gone even when close reports EINTR.
        _ = Glibc.close(raw)
    }

    /// open(2), read-only, close-on-exec; EINTR retried.
    public static func openReadOnly(_ path: String) throws(SyscallError) -> FileDescriptor {
        while true {
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return FileDescriptor(raw: fd, path: path) }
            if errno == EINTR { continue }
            throw lastError("open", path)
        }
    }

    /// pread(2) until `count` bytes or end of file; returns the bytes read.
    /// EINTR is retried; a short read means end of file (or of the kernel's table).
    public func pread(into buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64) throws(SyscallError) -> Int {
        var done = 0
        while done < count {
            let off = offset.addingReportingOverflow(UInt64(done))
            if off.overflow || off.partialValue > UInt64(Int64.max) { break }
            let n = Glibc.pread(raw, buffer + done, count - done, off_t(Int64(bitPattern: off.partialValue)))
            if n > 0 { done += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            // Past the end of /proc/kpageflags and friends the kernel answers EINVAL or
            // nothing; a partial result is still a result.
            if done > 0 { break }
            throw lastError("pread", "\(path) at offset 0x\(String(offset, radix: 16))")
        }
        return done
    }

    /// Reads the whole file as text (for /proc text files, which are generated per read).
    public func readAll() throws(SyscallError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(raw, $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { return out }
            if errno == EINTR { continue }
            throw lastError("read", path)
        }
    }
}

/// Reads a /proc text file whole.
public func readProcText(_ path: String) throws(SyscallError) -> String {
    let fd = try FileDescriptor.openReadOnly(path)
    let bytes = try fd.readAll()
    return String(decoding: bytes, as: UTF8.self)
}

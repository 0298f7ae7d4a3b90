import CPinctl

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An owned file descriptor: closed exactly once, by `close()` or when the value is dropped.
public final class FileDescriptor {
    public private(set) var raw: Int32
    public let path: String

    public init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit { close() }

    /// Closes the descriptor now; later calls do nothing. Never retried: on Linux the
    /// descriptor is gone even when close reports EINTR.
    public func close() {
        guard raw >= 0 else { return }
        _ = Glibc.close(raw)
        raw = -1
    }

    /// open(2) of `path`, relative to `dir` (openat), always close-on-exec; EINTR retried.
    /// `display` names the file in errors and in `path` when `path` is relative to `dir`.
    package static func open(
        _ path: String, at dir: Int32 = AT_FDCWD, flags: Int32, mode: mode_t = 0, display: String? = nil
    ) throws(SyscallError) -> FileDescriptor {
        let name = display ?? path
        let fd = try systemCall("open", name) { openat(dir, path, flags | O_CLOEXEC, mode) }
        return FileDescriptor(raw: fd, path: name)
    }

    /// openat(2) of `name` in this directory.
    package func open(_ name: String, flags: Int32, mode: mode_t = 0, display: String? = nil) throws(SyscallError) -> FileDescriptor {
        try Self.open(name, at: raw, flags: flags, mode: mode, display: display ?? "\(path)/\(name)")
    }

    /// open(2) of a C-string name relative to `dir`, for walks that keep names as the
    /// kernel's bytes (a String would replace bytes that are not UTF-8).
    package static func open(
        _ name: UnsafePointer<CChar>, at dir: Int32, flags: Int32, mode: mode_t = 0, display: @autoclosure () -> String
    ) throws(SyscallError) -> FileDescriptor {
        let fd = try systemCall("open", display()) { openat(dir, name, flags | O_CLOEXEC, mode) }
        return FileDescriptor(raw: fd, path: display())
    }

    /// Gives up ownership: the caller closes the returned descriptor (fdopendir takes it over).
    package func take() -> Int32 {
        defer { raw = -1 }
        return raw
    }

    /// flock(2) without waiting (`LOCK_NB` is added): false when another open file holds a
    /// conflicting lock (EWOULDBLOCK), true when granted.
    /// AT_STATX_DONT_SYNC (<linux/fcntl.h>), which fstatat passes on to statx's code: the
    /// kernel's cached attributes, no round trip to a FUSE daemon or a network server.
    package static let atStatxDontSync: Int32 = 0x4000

    package func tryLock(_ operation: Int32) throws(SyscallError) -> Bool {
        do throws(SyscallError) {
            _ = try systemCall("flock", path) { flock(raw, operation | LOCK_NB) }
            return true
        } catch {
            guard error.errno == EWOULDBLOCK else { throw error }
            return false
        }
    }

    /// fsetxattr(2) of a short value.
    package func setAttribute(_ name: String, _ value: String) throws(SyscallError) {
        let bytes = Array(value.utf8)
        _ = try systemCall("fsetxattr", "\(path) \(name)") { Int32(fsetxattr(raw, name, bytes, bytes.count, 0)) }
    }

    /// Whether the file has the extended attribute `name` (fgetxattr(2) of its size).
    package func hasAttribute(_ name: String) -> Bool { fgetxattr(raw, name, nil, 0) >= 0 }

    /// The extended attribute `name` as text, nil when absent, unreadable or over 255 bytes.
    package func attribute(_ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = fgetxattr(raw, name, &buffer, buffer.count)
        guard n >= 0, n < buffer.count else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    /// fremovexattr(2); an attribute that is not there is no failure.
    package func removeAttribute(_ name: String) { _ = fremovexattr(raw, name) }

    /// open(2), read-only, close-on-exec; EINTR retried.
    public static func openReadOnly(_ path: String) throws(SyscallError) -> FileDescriptor {
        try open(path, flags: O_RDONLY)
    }

    /// fstat(2) of this descriptor.
    package func stat() throws(SyscallError) -> Glibc.stat {
        try Self.stat(fd: raw, path: path)
    }

    /// fstat(2) of a descriptor owned elsewhere (a tree walk hands its files out by number).
    package static func stat(fd: Int32, path: String) throws(SyscallError) -> Glibc.stat {
        var st = Glibc.stat()
        _ = try systemCall("fstat", path) { fstat(fd, &st) }
        return st
    }

    /// fstatat(2) of `name` in this directory (`flags`: AT_SYMLINK_NOFOLLOW and friends).
    package func stat(_ name: String, flags: Int32) throws(SyscallError) -> Glibc.stat {
        try Self.stat(name, at: raw, flags: flags, display: "\(path)/\(name)")
    }

    /// fstatat(2) of `name` relative to `dir` (stat(2) and lstat(2) of a path by default).
    package static func stat(_ name: String, at dir: Int32 = AT_FDCWD, flags: Int32, display: String? = nil) throws(SyscallError)
        -> Glibc.stat
    {
        var st = Glibc.stat()
        _ = try systemCall("fstatat", display ?? name) { fstatat(dir, name, &st, flags) }
        return st
    }

    /// fstatat(2) of a C-string name relative to `dir` (see the C-string `open`).
    package static func stat(
        _ name: UnsafePointer<CChar>, at dir: Int32, flags: Int32, display: @autoclosure () -> String
    ) throws(SyscallError) -> Glibc.stat {
        var st = Glibc.stat()
        _ = try systemCall("fstatat", display()) { fstatat(dir, name, &st, flags) }
        return st
    }

    /// One read(2) into `buffer`: the bytes read, 0 at end of file; EINTR retried.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(SyscallError) -> Int {
        try systemCall("read", path) { Glibc.read(raw, buffer, count) }
    }

    /// One read(2) into `buffer` from index `start` to its end: the bytes read, 0 at end of file.
    package func read(into buffer: inout [UInt8], from start: Int = 0) throws(SyscallError) -> Int {
        try systemCall("read", path) { buffer.withUnsafeMutableBytes { Glibc.read(raw, $0.baseAddress! + start, $0.count - start) } }
    }

    /// write(2) of every byte, short writes continued; EINTR retried. A write of nothing
    /// (a full device that says so without an errno) fails as EIO rather than looping.
    package func writeAll(_ bytes: [UInt8]) throws(SyscallError) {
        var off = 0
        while off < bytes.count {
            let n = try systemCall("write", path) { bytes.withUnsafeBytes { Glibc.write(raw, $0.baseAddress! + off, $0.count - off) } }
            if n == 0 { throw SyscallError(call: "write", object: path, errno: EIO) }
            off += n
        }
    }

    /// pread(2) until `count` bytes or end of file; returns the bytes read.
    /// EINTR is retried; a short read means end of file (or of the kernel's table).
    public func pread(into buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64) throws(SyscallError) -> Int {
        var done = 0
        while done < count {
            let off = offset.addingReportingOverflow(UInt64(done))
            if off.overflow || off.partialValue > UInt64(Int64.max) { break }
            let n: Int
            do throws(SyscallError) {
                n = try systemCall("pread", "\(path) at offset 0x\(String(offset, radix: 16))") {
                    Glibc.pread(raw, buffer + done, count - done, off_t(Int64(bitPattern: off.partialValue)))
                }
            } catch {
                // Past the end of /proc/kpageflags and friends the kernel answers EINVAL or
                // nothing; a partial result is still a result.
                if done > 0 { break }
                throw error
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}

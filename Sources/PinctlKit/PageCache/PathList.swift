import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `files --from FILE`: paths read one at a time from a file or stdin, a line each (or
/// NUL-separated, as `find -print0` writes them), for lists longer than a command line
/// should carry: swift-argument-parser's parsing grows with the square of the arguments
/// (8,000 paths took seconds). Only the path being read is held. A path must be UTF-8 and
/// have no NUL, as an argument must (ArgumentEncoding): another spelling names another file.
public final class PathList {
    let file: FileDescriptor
    let name: String
    let separator: UInt8
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var start = 0
    private var end = 0
    private var atEnd = false
    private var line = 0

    /// `path` "-" is stdin (not closed at the end).
    public init(path: String, nulSeparated: Bool) throws(PinctlError) {
        name = path == "-" ? "stdin" : path
        separator = nulSeparated ? 0 : UInt8(ascii: "\n")
        if path == "-" {
            file = FileDescriptor(raw: dup(0), path: "stdin")
            guard file.raw >= 0 else { throw .system(SyscallError(call: "dup", object: "stdin", errno: errno)) }
        } else {
            file = try Self.open(path)
        }
    }

    /// A regular file or a FIFO (`--from <(find ...)`), checked through an O_PATH descriptor
    /// before anything is opened, as `file:` paths are: no device sees an open.
    static func open(_ path: String) throws(PinctlError) -> FileDescriptor {
        let pathFD = try RegularFile.openPath(path, flags: CPINCTL_O_PATH | O_CLOEXEC, purpose: "--from reads")
        let st: stat
        do throws(SyscallError) { st = try pathFD.stat() } catch { throw .system(error) }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG || type == S_IFIFO else {
            throw .invalidInput("--from \(path) is \(RegularFile.typeName(st.st_mode)): give a file or a pipe of paths")
        }
        do throws(SyscallError) {
            return try FileDescriptor.open("/proc/self/fd/\(pathFD.raw)", flags: O_RDONLY | O_NOCTTY, display: path)
        } catch {
            if error.errno == EACCES || error.errno == EPERM {
                throw .permissionDenied("--from \(path): \(error.errnoName) opening it: fix its permissions or run as its owner")
            }
            throw .system(error)
        }
    }

    /// The next path; nil at the end. Empty lines are skipped.
    public func next() throws(PinctlError) -> String? {
        while true {
            if let i = buffer[start..<end].firstIndex(of: separator) {
                let bytes = Array(buffer[start..<i])
                start = i + 1
                line += 1
                if bytes.isEmpty { continue }
                return try Self.path(bytes, line: line, list: name)
            }
            if atEnd {
                guard start < end else { return nil }
                let bytes = Array(buffer[start..<end])
                start = end
                line += 1
                return try Self.path(bytes, line: line, list: name)
            }
            try fill()
        }
    }

    /// Moves what is left to the front and reads more; a path longer than PATH_MAX is an error.
    private func fill() throws(PinctlError) {
        if start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        guard end < buffer.count else {
            throw .invalidInput(
                "\(name): entry \(line + 1) is longer than \(buffer.count) bytes: not a path (is the list NUL-separated? add -0)")
        }
        let n: Int
        do throws(SyscallError) { n = try file.read(into: &buffer, from: end) } catch { throw .system(error) }
        if n == 0 { atEnd = true } else { end += n }
    }

    static func path(_ bytes: [UInt8], line: Int, list: String) throws(PinctlError) -> String {
        if bytes.contains(0) {
            throw .invalidInput("\(list): entry \(line) has a NUL byte: give one path a line, or NUL-separated paths with -0")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .invalidInput(
                "\(list): entry \(line) '\(String(decoding: bytes, as: UTF8.self))' is not UTF-8 (\(ArgumentEncoding.invalidBytes(bytes))): it would name another file; give names that are UTF-8"
            )
        }
        return text
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// The memory `pinctl pin` maps for a range spec, owned until `unmap()` (or deinit).
public final class MappedRange {
    public enum Backing: String, Codable, Sendable {
        case anonymous, thp, hugetlb, shmem, file
    }

    public let spec: PinRangeSpec
    public let base: UInt64
    public let length: UInt64
    public let backing: Backing
    /// The mapping is writable (anon, shmem, or a file opened for --write).
    public let writable: Bool
    /// The shm object this process created, to unlink on release.
    private let createdShm: String?
    private var mapped = true

    public var pages: UInt64 { length >> PagemapReader.pageShift }
    public var isFileBacked: Bool { backing == .file }

    public init(_ spec: PinRangeSpec, write: Bool) throws(PinctlError) {
        self.spec = spec
        let m: Mapping
        do {
            m = try Self.map(spec, write: write)
        } catch let e as SyscallError {
            throw .system(e)
        } catch let e as PinctlError {
            throw e
        } catch {
            throw .invalidInput("\(spec): \(error)")
        }
        base = m.base
        length = m.length
        backing = m.backing
        writable = m.writable
        createdShm = m.createdShm
    }

    struct Mapping {
        var base: UInt64
        var length: UInt64
        var backing: Backing
        var writable: Bool
        var createdShm: String?
    }

    static func map(_ spec: PinRangeSpec, write: Bool) throws -> Mapping {
        let rw = PROT_READ | PROT_WRITE
        switch spec {
        case .anon(let size, let thp, let hugetlb, let noTHP):
            if hugetlb {
                let result = Result { () throws(SyscallError) in
                    try MemorySyscalls.mmap(length: size, prot: rw, flags: MAP_PRIVATE | MAP_ANONYMOUS | 0x40000 /* MAP_HUGETLB */)
                }
                if case .failure(let e) = result, e.errno == ENOMEM {
                    throw PinctlError.invalidInput(
                        "\(spec): no free 2 MiB hugetlb pages for \(humanBytes(size)): reserve them with `sysctl vm.nr_hugepages=\(size / PinRangeSpec.hugeSize)`"
                    )
                }
                let base = try result.get()
                return Mapping(base: base, length: size, backing: .hugetlb, writable: true)
            }
            if thp {
                let base = try mapAligned(size, align: PinRangeSpec.hugeSize)
                try MemorySyscalls.madvise(base, size, CPINCTL_MADV_HUGEPAGE, name: "MADV_HUGEPAGE")
                return Mapping(base: base, length: size, backing: .thp, writable: true)
            }
            let base = try MemorySyscalls.mmap(length: size, prot: rw, flags: MAP_PRIVATE | MAP_ANONYMOUS)
            if noTHP { try MemorySyscalls.madvise(base, size, CPINCTL_MADV_NOHUGEPAGE, name: "MADV_NOHUGEPAGE") }
            return Mapping(base: base, length: size, backing: .anonymous, writable: true)
        case .memfd(let size):
            let fd = cpinctl_memfd_create("pinctl", 1 /* MFD_CLOEXEC */)
            guard fd >= 0 else { throw lastError("memfd_create", "pinctl") }
            defer { close(fd) }
            guard ftruncate(fd, off_t(Int64(size))) == 0 else { throw lastError("ftruncate", "memfd to \(size)") }
            let base = try MemorySyscalls.mmap(length: size, prot: rw, flags: MAP_SHARED, fd: fd)
            return Mapping(base: base, length: size, backing: .shmem, writable: true)
        case .shm(let name, let size):
            let path = "/dev/shm/\(name)"
            var created: String? = nil
            var fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd >= 0 {
                created = path
            } else if errno == EEXIST {
                fd = open(path, O_RDWR | O_CLOEXEC)
            }
            guard fd >= 0 else { throw lastError("open", path) }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw lastError("fstat", path) }
            if UInt64(st.st_size) < size {
                guard ftruncate(fd, off_t(Int64(size))) == 0 else { throw lastError("ftruncate", "\(path) to \(size)") }
            }
            let mapped = Result { () throws(SyscallError) in try MemorySyscalls.mmap(length: size, prot: rw, flags: MAP_SHARED, fd: fd) }
            if case .failure = mapped, let created { unlink(created) }
            return Mapping(base: try mapped.get(), length: size, backing: .shmem, writable: true, createdShm: created)
        case .file(let path, let offset, let len):
            let fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC)
            guard fd >= 0 else {
                let e = lastError("open", path)
                if e.errno == ENOENT { throw PinctlError.invalidInput("\(path): no such file: give an existing file to pin") }
                if e.errno == EACCES {
                    throw PinctlError.permissionDenied(
                        "\(path): EACCES opening it\(write ? " for --write: pin it read-only (drop --write) or fix its permissions" : ": fix its permissions or run as its owner")"
                    )
                }
                throw e
            }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw lastError("fstat", path) }
            guard st.st_mode & S_IFMT == S_IFREG else {
                throw PinctlError.invalidInput("\(path): not a regular file: file: pins a regular file's page cache")
            }
            let fileSize = UInt64(st.st_size)
            let fileEnd = roundUp(fileSize, to: PagemapReader.pageSize) ?? fileSize
            guard offset < fileSize else {
                throw PinctlError.invalidInput(
                    "\(path): offset \(hex(offset)) is at or past the end of the file (\(fileSize) bytes): give a smaller @OFFSET")
            }
            let want = len ?? (fileEnd - offset)
            guard want <= fileEnd - offset else {
                throw PinctlError.invalidInput(
                    "\(path): \(hex(offset))+\(humanBytes(want)) runs past the end of the file (\(fileSize) bytes): shorten +LEN")
            }
            let base = try MemorySyscalls.mmap(length: want, prot: write ? rw : PROT_READ, flags: MAP_SHARED, fd: fd, offset: offset)
            return Mapping(base: base, length: want, backing: .file, writable: write)
        }
    }

    /// Maps `size` bytes aligned to `align` by over-allocating and trimming.
    static func mapAligned(_ size: UInt64, align: UInt64) throws(SyscallError) -> UInt64 {
        let raw = try MemorySyscalls.mmap(length: size + align, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS)
        let aligned = (raw + align - 1) & ~(align - 1)
        if aligned > raw { MemorySyscalls.munmap(raw, aligned - raw) }
        MemorySyscalls.munmap(aligned + size, raw + align - aligned)
        return aligned
    }

    /// Unmaps (and unlinks a shm object this process created); safe to call twice.
    public func unmap() {
        guard mapped else { return }
        mapped = false
        MemorySyscalls.munmap(base, length)
        if let createdShm { unlink(createdShm) }
    }

    deinit { unmap() }
}

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
    /// The shm object of a shm: range; removed on release by the last pin sharing it, if a
    /// pinctl created it.
    private let shm: ShmObject?
    /// Set when a file: range's +LEN ran past the end of the file and was trimmed: says so.
    public let trimmed: String?
    /// The file a file: range maps (device and inode), so a `pin` takes each file once.
    public let fileIdentity: FileIdentity?
    /// A file: range over the whole file (through its last page).
    public let wholeFile: Bool
    /// A file: range's file, kept open to tell a file that shrank during the pin (`shrank`).
    private let file: FileDescriptor?
    /// The size of that file when it was mapped, and the range's offset in it.
    private let fileSize: UInt64
    private let fileOffset: UInt64
    private var mapped = true

    public var pages: UInt64 { length >> PagemapReader.pageShift }
    public var isFileBacked: Bool { backing == .file }

    /// `admitted`: for file:, the most bytes to map (what the memory check was made for).
    /// `writeOthersFiles`: --write may map a file another user owns (see `map`).
    public init(_ spec: PinRangeSpec, write: Bool, writeOthersFiles: Bool = false, admitted: UInt64? = nil) throws(PinctlError) {
        self.spec = spec
        let m: Mapping
        do {
            m = try Self.map(spec, write: write, writeOthersFiles: writeOthersFiles, admitted: admitted)
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
        shm = m.shm
        trimmed = m.trimmed
        fileIdentity = m.fileIdentity
        wholeFile = m.wholeFile
        file = m.file
        fileSize = m.fileSize
        fileOffset = m.fileOffset
    }

    /// Maps `length` bytes of a regular file already open read-only (a file of a file:DIR
    /// tree, opened by the walk relative to its directory), PROT_READ and shared, as
    /// `vmtouch -l` maps it. The caller closes `fd`; the mapping keeps the file.
    init(openFile fd: Int32, path: String, length: UInt64) throws(PinctlError) {
        let spec = PinRangeSpec.file(path: path, offset: 0, length: nil)
        self.spec = spec
        do {
            base = try Self.mmapOrRefuse(spec, length: length, prot: PROT_READ, flags: MAP_SHARED, fd: fd)
        } catch let e as PinctlError {
            throw e
        } catch let e as SyscallError {
            throw .system(e)
        } catch {
            throw .invalidInput("\(spec): \(error)")
        }
        self.length = length
        backing = .file
        writable = false
        shm = nil
        trimmed = nil
        fileIdentity = nil
        wholeFile = true
        file = nil
        fileSize = length
        fileOffset = 0
    }

    struct Mapping {
        var base: UInt64
        var length: UInt64
        var backing: Backing
        var writable: Bool
        var shm: ShmObject? = nil
        var trimmed: String? = nil
        var fileIdentity: FileIdentity? = nil
        var wholeFile = false
        var file: FileDescriptor? = nil
        var fileSize: UInt64 = 0
        var fileOffset: UInt64 = 0
    }

    static func map(_ spec: PinRangeSpec, write: Bool, writeOthersFiles: Bool = false, admitted: UInt64? = nil) throws -> Mapping {
        let rw = PROT_READ | PROT_WRITE
        switch spec {
        case .anon(let size, let thp, let hugetlb, let noTHP):
            if hugetlb {
                let result = Result { () throws(SyscallError) in
                    // MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT): the 2 MiB pages the size was rounded to,
                    // whatever the default huge page size (1 GiB with default_hugepagesz=1G).
                    try MemorySyscalls.mmap(
                        length: size, prot: rw,
                        flags: MAP_PRIVATE | MAP_ANONYMOUS | 0x40000 /* MAP_HUGETLB */ | (21 << 26) /* MAP_HUGE_2MB */)
                }
                if case .failure(let e) = result, e.errno == ENOMEM {
                    if let why = addressSpaceRefusal(spec, length: size) { throw PinctlError.refused(why) }
                    throw PinctlError.invalidInput(
                        "\(spec): no free 2 MiB hugetlb pages for \(humanBytes(size)): reserve them with `sysctl vm.nr_hugepages=\(size / PinRangeSpec.hugeSize)`"
                    )
                }
                let base = try result.get()
                return Mapping(base: base, length: size, backing: .hugetlb, writable: true)
            }
            // A kernel built without THP (Debian's 6.1 PREEMPT_RT flavour) refuses both
            // advices with EINVAL: ,thp cannot be had there, and ,nothp is what it gives anyway.
            let hasTHP = access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0
            if thp && !hasTHP {
                throw PinctlError.invalidInput(
                    "\(spec): this kernel has no transparent huge pages (built without CONFIG_TRANSPARENT_HUGEPAGE, as PREEMPT_RT kernels before 6.x are): drop ,thp, or use ,hugetlb"
                )
            }
            if thp {
                let base: UInt64
                do {
                    base = try mapAligned(size, align: PinRangeSpec.hugeSize)
                } catch {
                    throw mapFailure(error, spec, length: size, fileBacked: false, padding: PinRangeSpec.hugeSize)
                }
                try advise(base, size, CPINCTL_MADV_HUGEPAGE, "MADV_HUGEPAGE")
                return Mapping(base: base, length: size, backing: .thp, writable: true)
            }
            let base = try mmapOrRefuse(spec, length: size, prot: rw, flags: MAP_PRIVATE | MAP_ANONYMOUS)
            if noTHP && hasTHP { try advise(base, size, CPINCTL_MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE") }
            return Mapping(base: base, length: size, backing: .anonymous, writable: true)
        case .memfd(let size):
            let raw = cpinctl_memfd_create("pinctl", 1 /* MFD_CLOEXEC */)
            guard raw >= 0 else { throw lastError("memfd_create", "pinctl") }
            let memfd = FileDescriptor(raw: raw, path: "memfd:pinctl")
            defer { memfd.close() }
            try truncate(memfd.raw, to: size, spec)
            let base = try mmapOrRefuse(spec, length: size, prot: rw, flags: MAP_SHARED, fd: memfd.raw)
            return Mapping(base: base, length: size, backing: .shmem, writable: true)
        case .shm(let name, let size):
            let object = try ShmObject.open(name: name, spec: spec.description)
            do {
                try object.grow(to: size, spec)
                let base = try mmapOrRefuse(spec, length: size, prot: rw, flags: MAP_SHARED, fd: object.fd.raw)
                return Mapping(base: base, length: size, backing: .shmem, writable: true, shm: object)
            } catch {
                object.release()
                throw error
            }
        case .file(let path, let offset, let len):
            let opened: RegularFile.Opened
            do throws(PinctlError) { opened = try RegularFile.open(path, writable: write, purpose: "file: pins") } catch {
                throw FileLease.refusal(error, path: path, writing: write)
            }
            // A write fault dirties the page, allocates a hole's blocks (charged to the
            // owner's quota, not root's) and updates mtime: root may write, but only a
            // file it was told it may.
            if write, opened.stat.st_uid != geteuid(), !writeOthersFiles {
                throw PinctlError.permissionDenied(
                    "\(path) belongs to uid \(opened.stat.st_uid), not to you (uid \(geteuid())): --write dirties every page, allocates the file's holes on disk and changes its mtime: pin it without --write, or add --write-others-files"
                )
            }
            let fileSize = UInt64(opened.stat.st_size)
            guard fileSize > 0 else {
                throw PinctlError.invalidInput("\(path): the file is empty: file: pins a file's page cache, and it has none")
            }
            let fileEnd = roundUp(fileSize, to: PagemapReader.pageSize) ?? fileSize
            guard offset < fileSize else {
                throw PinctlError.invalidInput(
                    "\(path): @\(hex(offset)) is at or past the end of the file (\(fileSize) bytes): give an @OFFSET below \(fileSize)")
            }
            // +LEN past the end is trimmed to the file, as vmtouch does (a page past EOF
            // cannot be faulted in: SIGBUS, EFAULT); the report says so.
            let left = fileEnd - offset
            var trimmed: String?
            if let len, len > left {
                trimmed =
                    "+\(humanBytes(len)) ran past the end of \(path) (\(fileSize) bytes): trimmed to \(humanBytes(left)), through the file's last page"
            }
            var want = min(len ?? left, left)
            if let admitted, want > admitted {
                // The file grew between the memory check (by path) and this open.
                trimmed =
                    "\(path) grew to \(fileSize) bytes after the memory check: mapped the \(humanBytes(admitted)) checked (pin again for the rest)"
                want = admitted
            }
            guard want > 0 else {
                throw PinctlError.invalidInput("\(path): the file was empty when the memory check was made: pin it again")
            }
            let base = try mmapOrRefuse(
                spec, length: want, prot: write ? rw : PROT_READ, flags: MAP_SHARED, fd: opened.fd.raw, offset: offset)
            return Mapping(
                base: base, length: want, backing: .file, writable: write, trimmed: trimmed, fileIdentity: FileIdentity(opened.stat),
                wholeFile: offset == 0 && want == fileEnd, file: opened.fd, fileSize: fileSize, fileOffset: offset)
        }
    }

    /// Why a pin of a file: range failed when its file shrank after it was mapped (another
    /// process truncated it): its pages past the new end cannot be faulted in (mlock2 says
    /// ENOMEM, MADV_POPULATE and pin_user_pages EFAULT; pinctl never touches them itself, so
    /// there is no SIGBUS). Read from the open file (fstat) after the failure; nil when the
    /// range is still inside the file.
    public func shrank() -> PinctlError? {
        guard let file, let st = try? file.stat() else { return nil }
        let now = UInt64(max(0, st.st_size))
        return Self.shrinkRefusal(spec, offset: fileOffset, length: length, sizeThen: fileSize, sizeNow: now)
    }

    /// `shrank`'s decision on the sizes: the range [offset, offset+length) reaches past the
    /// last page the file now has.
    static func shrinkRefusal(_ spec: PinRangeSpec, offset: UInt64, length: UInt64, sizeThen: UInt64, sizeNow: UInt64) -> PinctlError? {
        let end = offset.addingReportingOverflow(length)
        let pages = roundUp(sizeNow, to: PagemapReader.pageSize) ?? sizeNow
        guard sizeNow < sizeThen, end.overflow || end.partialValue > pages else { return nil }
        return .refused(
            "\(spec): the file shrank from \(sizeThen) to \(sizeNow) bytes while it was being pinned (truncated by another process): its pages past the new end cannot be pinned; pin it again"
        )
    }

    /// madvise(2) on a fresh mapping, which is unmapped if the advice fails.
    static func advise(_ base: UInt64, _ size: UInt64, _ advice: Int32, _ name: String) throws(SyscallError) {
        do {
            try MemorySyscalls.madvise(base, size, advice, name: name)
        } catch {
            MemorySyscalls.munmap(base, size)
            throw error
        }
    }

    /// ftruncate(2) of a memfd or shm object to the range's size.
    static func truncate(_ fd: Int32, to size: UInt64, _ spec: PinRangeSpec) throws -> Void {
        guard let length = off_t(exactly: size) else { throw PinctlError.invalidInput("\(spec): the size does not fit in off_t") }
        do throws(SyscallError) {
            _ = try systemCall("ftruncate", "\(spec) to \(size) bytes") { ftruncate(fd, length) }
        } catch let e {
            switch e.errno {
            case EFBIG, EINVAL:
                throw PinctlError.invalidInput("\(spec): tmpfs refuses a size of \(humanBytes(size)) (\(e.errnoName)): give a smaller size")
            case ENOSPC, ENOMEM:
                throw PinctlError.refused(
                    "\(spec): tmpfs has no room for \(humanBytes(size)) (\(e.errnoName)): free memory or give a smaller size")
            case EPERM: throw PinctlError.permissionDenied("\(spec): the object is sealed or not writable (EPERM): choose another name")
            default: throw e
            }
        }
    }

    /// mmap(2), with the kernel's refusals told as such: ENOMEM is more memory (or address
    /// space) than the kernel will commit; ENODEV a file system whose files cannot be mapped.
    static func mmapOrRefuse(
        _ spec: PinRangeSpec, length: UInt64, prot: Int32, flags: Int32, fd: Int32 = -1, offset: UInt64 = 0
    ) throws -> UInt64 {
        do {
            return try MemorySyscalls.mmap(length: length, prot: prot, flags: flags, fd: fd, offset: offset)
        } catch {
            throw mapFailure(error, spec, length: length, fileBacked: fd >= 0)
        }
    }

    /// `padding`: what the mapping asked beyond `length` (to align it).
    static func mapFailure(_ error: SyscallError, _ spec: PinRangeSpec, length: UInt64, fileBacked: Bool, padding: UInt64 = 0)
        -> Error
    {
        switch error.errno {
        case ENOMEM:
            if let why = addressSpaceRefusal(spec, length: length, padding: padding) { return PinctlError.refused(why) }
            let m = MemoryHeadroom.memInfo()
            let numbers = m.map { " (MemTotal \(humanBytes($0.total)), MemAvailable \(humanBytes($0.available)))" } ?? ""
            return PinctlError.refused(
                "\(spec): the kernel refused to map \(humanBytes(length)) (ENOMEM): more than it will commit\(numbers): give a smaller size"
            )
        case ENODEV where fileBacked:
            return PinctlError.invalidInput(
                "\(spec): this file system's files cannot be mapped (ENODEV; /sys and /proc files cannot): pin a file on a disk or tmpfs file system"
            )
        case EACCES where fileBacked:
            return PinctlError.permissionDenied(
                "\(spec): mmap refused (EACCES): the file is not open for the access asked (drop --write) or its file system forbids mapping"
            )
        default:
            return error
        }
    }

    /// Why mmap's ENOMEM came from RLIMIT_AS (`ulimit -v`), not from memory: the address
    /// space in use (VmSize) and the `asked` bytes exceed the limit. Nil when it has no limit
    /// or the mapping fitted under it (then memory or vm.max_map_count refused it).
    static func addressSpaceRefusal(_ spec: PinRangeSpec, length: UInt64, asked: UInt64, limit: UInt64?, vmSize: UInt64?) -> String? {
        guard let limit, let vmSize else { return nil }
        let total = vmSize.addingReportingOverflow(asked)
        guard total.overflow || total.partialValue > limit else { return nil }
        return
            "\(spec): the address space limit refused to map \(humanBytes(length)) (ENOMEM): RLIMIT_AS is \(humanBytes(limit)) and pinctl already uses \(humanBytes(vmSize)) (VmSize): raise `ulimit -v` (LimitAS= in a unit), or give a smaller size"
    }

    /// `addressSpaceRefusal` with this process's limit and VmSize.
    static func addressSpaceRefusal(_ spec: PinRangeSpec, length: UInt64, padding: UInt64 = 0) -> String? {
        let vmSize = ProcStatus.parse((try? readProcText("/proc/self/status")) ?? "").vmSize
        return addressSpaceRefusal(
            spec, length: length, asked: length.addingReportingOverflow(padding).partialValue, limit: ProcessLimits.addressSpaceLimit(),
            vmSize: vmSize)
    }

    /// Maps `size` bytes aligned to `align` by over-allocating and trimming.
    static func mapAligned(_ size: UInt64, align: UInt64) throws(SyscallError) -> UInt64 {
        let padded = size.addingReportingOverflow(align)
        guard !padded.overflow else { throw SyscallError(call: "mmap", object: "length \(hex(size)) + \(hex(align))", errno: EOVERFLOW) }
        let raw = try MemorySyscalls.mmap(length: padded.partialValue, prot: PROT_READ | PROT_WRITE, flags: MAP_PRIVATE | MAP_ANONYMOUS)
        let aligned = (raw + align - 1) & ~(align - 1)
        if aligned > raw { MemorySyscalls.munmap(raw, aligned - raw) }
        MemorySyscalls.munmap(aligned + size, raw + align - aligned)
        return aligned
    }

    /// Unmaps (and, when no other pin shares it, unlinks a shm object a pinctl created, or
    /// shrinks one it grew back to its old size); safe to call twice.
    public func unmap() {
        guard mapped else { return }
        mapped = false
        MemorySyscalls.munmap(base, length)
        shm?.release()
    }

    deinit { unmap() }
}

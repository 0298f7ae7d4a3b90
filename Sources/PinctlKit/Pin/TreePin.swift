#if canImport(Glibc)
    import Glibc
#endif

/// `pin file:DIR`: locks the page cache of every regular file of a directory tree, as
/// `vmtouch -l` does: each file mapped PROT_READ and shared, and mlock2ed. The tree is walked
/// twice, both times with openat relative to directory descriptors (TreeWalker: links not
/// followed unless asked, FIFOs and devices never opened): first to add up the sizes, so that
/// RLIMIT_MEMLOCK and the memory headroom are checked against the whole tree before anything
/// is locked; then to open, map and lock each file while its descriptor is open. The second
/// walk locks no more than the first admitted: a file is locked to the smaller of its size
/// then and its size now, and a file the first walk did not see is left out (both said on
/// stderr), so a tree grown between the walks cannot take more memory than was checked. A
/// file that shrank between its fstat and its lock (mlock2 then fails: the pages past the
/// new end cannot be faulted in) is mapped again at its new size.
public final class TreePin {
    public let root: String
    let walk: TreeWalkOptions
    let onFault: Bool
    /// The files the whole `pin` took so far (earlier ranges): left out here, so that each
    /// file is locked and counted once.
    let seen: SeenFiles
    /// Each locked file: its mapping and its lock.
    private var parts: [(range: MappedRange, pinner: MlockPin)] = []
    public private(set) var files: UInt64 = 0
    public private(set) var bytes: UInt64 = 0
    public private(set) var skipped: UInt64 = 0
    public private(set) var failed: UInt64 = 0
    /// Files left out as already locked: a hard link of one locked here, or a file an
    /// earlier range of the same `pin` locked (file:DIR file:DIR/sub).
    public private(set) var alreadyLocked: UInt64 = 0
    private var released = false
    /// The first walk's page-rounded size of each file: what the memory check admitted.
    private var admitted: [FileIdentity: UInt64] = [:]

    public init(root: String, walk: TreeWalkOptions, onFault: Bool = false, seen: SeenFiles = SeenFiles()) {
        self.root = root
        self.walk = walk
        self.onFault = onFault
        self.seen = seen
    }

    /// Whether a file: path names a directory (stat follows links: the caller's own path;
    /// the walk then decides, under -f, whether a link at the top is entered).
    public static func isDirectory(_ path: String) -> Bool {
        guard let st = try? FileDescriptor.stat(path, flags: 0) else { return false }
        return st.st_mode & S_IFMT == S_IFDIR
    }

    /// The first walk: files and page-rounded bytes that locking the tree will take, and the
    /// files left out as already locked (by an earlier range, or hard links).
    public func plan() throws(PinctlError) -> (files: UInt64, bytes: UInt64, already: UInt64) {
        var walker = TreeWalker(options: walk, seen: seen.copy())
        var files: UInt64 = 0
        var bytes: UInt64 = 0
        var admitted: [FileIdentity: UInt64] = [:]
        try walker.walk(root) { (event) throws(PinctlError) in
            if case .file(_, let st, _) = event, st.st_size > 0 {
                let size = roundUp(UInt64(st.st_size), to: PagemapReader.pageSize) ?? UInt64(st.st_size)
                files += 1
                bytes &+= size
                admitted[FileIdentity(st)] = size
            }
        }
        self.admitted = admitted
        return (files, bytes, walker.alreadySeen)
    }

    /// Checks the plan against RLIMIT_MEMLOCK and the memory headroom; throws with the total
    /// and the fix.
    public func check(_ plan: (files: UInt64, bytes: UInt64, already: UInt64)) throws(PinctlError) {
        let what = "file:\(PinRangeSpec.escapePath(root)) (\(plan.files) files, \(humanBytes(plan.bytes)))"
        // A tree whose every file an earlier range took adds nothing, and is no mistake.
        guard plan.files > 0 || plan.already > 0 else {
            throw .invalidInput("file:\(PinRangeSpec.escapePath(root)): the tree has no regular file with bytes to lock")
        }
        guard plan.files > 0 else { return }
        // One mapping per file: past vm.max_map_count, mmap fails with ENOMEM halfway.
        if let text = try? readProcText("/proc/sys/vm/max_map_count"),
            let limit = UInt64(text.split(separator: "\n").first ?? ""),
            let maps = try? readProcText("/proc/self/maps")
        {
            let inUse = UInt64(maps.utf8.lazy.filter { $0 == 0x0a }.count)
            if plan.files + inUse + 64 > limit {
                throw .refused(
                    "locking \(what) takes one mapping per file, and vm.max_map_count is \(limit) (\(inUse) in use): raise it with `sysctl vm.max_map_count=\(plan.files + inUse + 65536)` or pin a smaller tree (-I, -i, -m)"
                )
            }
        }
        if !ProcessLimits.memlockAllows(plan.bytes) {
            throw .refused(ProcessLimits.memlockAdvice("locking \(what)", bytes: plan.bytes))
        }
        if let why = MemoryHeadroom.shortfall(plan.bytes, what: "locking \(what)") { throw .refused(why) }
    }

    /// The second walk: opens, maps and locks each file. Skipped and unreadable paths are told
    /// on stderr (one line each) and left out; a signal stops the walk and releases everything.
    public func pin(report: (String) -> Void) throws(PinctlError) {
        var walker = TreeWalker(options: walk, seen: seen)
        defer { alreadyLocked = walker.alreadySeen }
        do throws(PinctlError) {
            try walker.walk(root) { (event) throws(PinctlError) in
                if let sig = TerminationSignals.pendingSignal() {
                    throw .interrupted(
                        "locking file:\(TerminalEscaping.escape(root)) interrupted by \(TerminationSignals.name(sig)) after \(files) files: released"
                    )
                }
                switch event {
                case .directory: break
                case .skipped(let path, let reason):
                    skipped += 1
                    report("\(TerminalEscaping.escape(bytes: path)): \(reason.message)")
                case .failed(let path, let message):
                    failed += 1
                    report("\(TerminalEscaping.escape(bytes: path)): \(message)")
                case .file(let fd, let st, let path):
                    let size = UInt64(max(0, st.st_size))
                    guard size > 0 else { break }
                    guard let limit = admitted[FileIdentity(st)] else {
                        skipped += 1
                        report(
                            "\(TerminalEscaping.escape(bytes: path)): appeared after the memory check: not locked (pin again to include it)"
                        )
                        break
                    }
                    if size > limit {
                        report(
                            "\(TerminalEscaping.escape(bytes: path)): grew from \(limit) to \(size) bytes after the memory check: locking the \(limit) checked"
                        )
                    }
                    try lockFile(fd: fd, size: min(size, limit), path: path, report: report)
                }
            }
        } catch {
            release()
            throw error
        }
    }

    private func lockFile(fd: Int32, size: UInt64, path: [UInt8], report: (String) -> Void) throws(PinctlError) {
        guard size > 0 else { return }
        let name = String(decoding: path, as: UTF8.self)
        let length = roundUp(size, to: PagemapReader.pageSize) ?? size
        let range = try MappedRange(openFile: fd, path: name, length: length)
        let pinner = MlockPin(onFault: onFault)
        let progress = PinProgress(label: "locking \(TerminalEscaping.escape(bytes: path))", total: length, toTTY: false)
        do throws(PinctlError) {
            try pinner.pin(range, write: false, progress: progress)
        } catch {
            // The file may have shrunk since it was opened: lock what is left of it.
            guard let st = try? FileDescriptor.stat(fd: fd, path: name), UInt64(max(0, st.st_size)) < size else { throw error }
            range.unmap()
            report(
                "\(TerminalEscaping.escape(bytes: path)): shrank from \(size) to \(st.st_size) bytes while it was being locked: locking \(st.st_size)"
            )
            return try lockFile(fd: fd, size: UInt64(max(0, st.st_size)), path: path, report: report)
        }
        parts.append((range, pinner))
        files += 1
        bytes &+= length
    }

    /// Resident pages, and physical runs where PFNs are visible, over every locked file.
    public func residency() throws(PinctlError) -> (present: UInt64, runs: UInt64?) {
        var present: UInt64 = 0
        var runs: UInt64? = 0
        for p in parts {
            let c = try PfnSnapshot.count(base: p.range.base, pages: p.range.pages)
            present &+= c.present
            runs = runs.flatMap { r in c.runs.map { r &+ $0 } }
        }
        return (present, runs)
    }

    public var pages: UInt64 { bytes >> PagemapReader.pageShift }

    /// Unlocks and unmaps every file; safe to call more than once.
    public func release() {
        guard !released else { return }
        released = true
        for p in parts {
            p.pinner.release()
            p.range.unmap()
        }
        parts = []
    }

    deinit { release() }
}

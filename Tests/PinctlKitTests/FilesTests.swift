import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The page cache baselines the live tests compare with: util-linux's fincore and vmtouch
/// (scripts/check/install-deps.sh installs both).
let fincorePath = ["/usr/bin/fincore", "/bin/fincore"].first { FileManager.default.isExecutableFile(atPath: $0) }
let vmtouchPath = ["/usr/bin/vmtouch", "/usr/local/bin/vmtouch"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// A directory of files in known page cache states, on the disk file system of /tmp (ext4
/// here: tmpfs pages could not be dropped).
final class CacheTree {
    let root: String
    let pageSize = Int(PagemapReader.pageSize)

    init() throws {
        guard let dir = makeTemporaryDirectory("/tmp/pinctl-files-XXXXXX") else { throw CocoaError(.fileWriteUnknown) }
        root = dir
    }

    /// The mappings `hold` keeps mlocked.
    private var held: [(UnsafeMutableRawPointer, Int)] = []

    deinit {
        for (p, length) in held { munmap(p, length) }
        _ = try? run(["/bin/rm", "-rf", root])
    }

    func path(_ name: String) -> String { root + "/" + name }

    /// Writes `pages` pages of non-zero bytes (spread over `sparseSize` with holes between when
    /// given), syncs them, and drops them from the cache: the file starts with nothing cached.
    @discardableResult
    func write(_ name: String, pages: Int, sparseSize: Int? = nil) throws -> String {
        let p = path(name)
        let fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        var page = [UInt8](repeating: 0x5a, count: pageSize)
        for i in 0..<pages {
            page[0] = UInt8(truncatingIfNeeded: i)
            // A sparse file gets its pages spread over its size, holes between.
            let offset = sparseSize.map { i * ($0 / max(pages, 1)) } ?? i * pageSize
            _ = page.withUnsafeBytes { pwrite(fd, $0.baseAddress, pageSize, off_t(offset)) }
        }
        if let sparseSize { _ = ftruncate(fd, off_t(sparseSize)) }
        fsync(fd)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        return p
    }

    /// Reads pages [first, first+count) of a file into the cache.
    func read(_ name: String, pages: Range<Int>) {
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        // No readahead: exactly the pages read are cached.
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM)
        var buf = [UInt8](repeating: 0, count: pageSize)
        for i in pages { _ = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, pageSize, off_t(i * pageSize)) } }
    }

    /// Reads pages [first, first+count) into the cache and keeps them there: mlocked through a
    /// read-only mapping of this process (MADV_RANDOM: no read-around) until the tree goes.
    /// Page cache nobody maps is evicted on its own here (DAMON's pageout of cold unmapped
    /// file pages), so a comparison of two live reads holds only while the pages are held.
    func hold(_ name: String, pages: Range<Int>) throws {
        read(name, pages: pages)
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        let length = pages.count * pageSize
        guard let p = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(pages.lowerBound * pageSize)), p != MAP_FAILED else {
            throw CocoaError(.fileReadUnknown)
        }
        held.append((p, length))
        _ = madvise(p, length, MADV_RANDOM)
        guard mlock(p, length) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func drop(_ name: String) {
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    }
}

/// fincore's resident pages of one file (`--bytes --noheadings --raw`: RES PAGES SIZE FILE).
func fincorePages(_ path: String) throws -> UInt64? {
    guard let fincorePath else { return nil }
    let r = try run([fincorePath, "--bytes", "--noheadings", "--raw", path])
    guard r.status == 0, let res = r.stdout.split(separator: " ").first.flatMap({ UInt64($0) }) else { return nil }
    return res / PagemapReader.pageSize
}

/// vmtouch's resident and total pages of one file (`-v`: the chart line ends in "R/T").
func vmtouchPages(_ path: String) throws -> (resident: UInt64, total: UInt64)? {
    guard let vmtouchPath else { return nil }
    let r = try run([vmtouchPath, "-v", path])
    guard r.status == 0 else { return nil }
    for line in r.stdout.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where line.hasPrefix("[") {
        let f = line.split(separator: " ").last?.split(separator: "/") ?? []
        if f.count == 2, let a = UInt64(f[0]), let b = UInt64(f[1]) { return (a, b) }
    }
    return nil
}

/// vmtouch's totals over paths with options: files, resident pages, total pages.
func vmtouchTotals(_ args: [String]) throws -> (files: UInt64, resident: UInt64, total: UInt64)? {
    guard let vmtouchPath else { return nil }
    let r = try run([vmtouchPath, "-q"].dropLast() + args)
    var files: UInt64?, resident: UInt64?, total: UInt64?
    for line in r.stdout.split(separator: "\n") {
        let t = line.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("Files:") { files = UInt64(t.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
        if t.hasPrefix("Resident Pages:") {
            let f = t.dropFirst(15).trimmingCharacters(in: .whitespaces).split(separator: " ").first?.split(separator: "/") ?? []
            if f.count == 2 { (resident, total) = (UInt64(f[0]), UInt64(f[1])) }
        }
    }
    guard let files, let resident, let total else { return nil }
    return (files, resident, total)
}

/// `pinctl files --json`, parsed: the "files" elements and the "total" object.
func filesJSON(_ args: [String], as launcher: [String] = []) throws -> (CommandResult, [[String: Any]], [String: Any]) {
    let r = try pinctl(["files", "--json"] + args, as: launcher, limit: 120)
    let json = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    return (r, json?["files"] as? [[String: Any]] ?? [], json?["total"] as? [String: Any] ?? [:])
}

func cachedByPath(_ files: [[String: Any]]) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for f in files {
        if let p = f["path"] as? String, let c = f["cached"] as? UInt64 { out[p] = c }
    }
    return out
}

/// Tells the swapping thread to stop, and says when it has.
final class SwapperControl: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    let finished = DispatchSemaphore(value: 0)
    var stopped: Bool { lock.withLock { flag } }
    func stop() { lock.withLock { flag = true } }
}

/// A sink that keeps everything, for library-level runs.
struct CollectingSink: FilesSink {
    var files: [FileResidency] = []
    var skipped: [(String, TreeWalkSkip)] = []
    var failures: [(String, String)] = []
    var totals: FilesTotals?

    mutating func file(_ f: FileResidency) throws(PinctlError) { files.append(f) }
    mutating func skipped(_ path: [UInt8], _ reason: TreeWalkSkip) throws(PinctlError) {
        skipped.append((String(decoding: path, as: UTF8.self), reason))
    }
    mutating func failed(_ path: [UInt8], _ message: String) throws(PinctlError) {
        failures.append((String(decoding: path, as: UTF8.self), message))
    }
    mutating func finish(_ t: FilesTotals) throws(PinctlError) { totals = t }
    mutating func fail(_ error: PinctlError) -> Bool { false }

    func cached(_ path: String) -> UInt64? { files.first { String(decoding: $0.path, as: UTF8.self) == path }?.state.cached }
}

@Suite(
    .serialized, .enabled(if: isRoot, "live page cache tests need root (cachestat and mincore answer only for files the caller may write)"),
    .needsBuiltPinctl,
    .enabled(
        if: fincorePath != nil && vmtouchPath != nil,
        "fincore (util-linux) and vmtouch are the baselines: run scripts/check/install-deps.sh"))
struct FilesTests {
    /// Files in known states: dropped, partly read, fully read, sparse (1 GiB with 64 pages
    /// written, some read), empty. Per file, pinctl's cached pages equal fincore's and
    /// vmtouch's, and its page count vmtouch's, compared once: the pages read are held
    /// (`CacheTree.hold`), the rest nobody reads, so the cache cannot change between the reads.
    @Test func cachedPagesEqualFincoreAndVmtouchPerFile() throws {
        let tree = try CacheTree()
        tree.drop("")
        try tree.write("dropped", pages: 64)
        try tree.write("partly", pages: 256)
        try tree.hold("partly", pages: 10..<20)
        try tree.hold("partly", pages: 100..<101)
        try tree.write("full", pages: 300)
        try tree.hold("full", pages: 0..<300)
        try tree.write("sparse", pages: 64, sparseSize: 1 << 30)
        try tree.hold("sparse", pages: 0..<3)
        try tree.write("empty", pages: 0)
        try tree.write("tail", pages: 3)
        // A size that is not a whole number of pages.
        _ = truncate(tree.path("tail"), off_t(2 * tree.pageSize + 100))
        try tree.hold("tail", pages: 0..<3)
        let (r, files, _) = try filesJSON([tree.root])
        #expect(r.status == 0, "\(r.stderr)")
        let cached = cachedByPath(files)
        for n in ["dropped", "partly", "full", "sparse", "empty", "tail"] {
            let p = tree.path(n)
            let mine = cached[p]
            let fincore = try fincorePages(p)
            #expect(mine != nil && fincore == mine, "\(n): pinctl \(String(describing: mine)), fincore \(String(describing: fincore))")
            if n == "empty" {
                #expect(mine == 0)
            } else {
                let vmtouch = try vmtouchPages(p)
                #expect(vmtouch?.resident == mine, "\(n): pinctl \(String(describing: mine)), vmtouch \(String(describing: vmtouch))")
                let pages = files.first { $0["path"] as? String == p }?["pages"] as? UInt64
                #expect(vmtouch?.total == pages, "\(n): pinctl \(String(describing: pages)) pages, vmtouch \(String(describing: vmtouch))")
            }
        }
        #expect(cached[tree.path("full")] == 300)
        #expect(cached[tree.path("dropped")] == 0)
        #expect(cached[tree.path("tail")] == 3)
        #expect(cached[tree.path("partly")] == 11)
        #expect(cached[tree.path("sparse")] == 3)
    }

    /// The mincore fallback (the path before 6.5) reads the same pages as cachestat and as
    /// fincore, through a mapping it never touches: a dropped file stays uncached after it.
    /// The pages read are held (`CacheTree.hold`): the three reads compare once.
    @Test func mincoreFallbackAgreesWithCachestatAndFaultsNothingIn() throws {
        let tree = try CacheTree()
        try tree.write("a", pages: 200)
        try tree.hold("a", pages: 50..<120)
        try tree.write("b", pages: 128)
        try tree.write("c", pages: 0)
        // 1.5 GiB, sparse: six pages 256 MiB apart, two past the first 1 GiB mincore chunk.
        try tree.write("big", pages: 6, sparseSize: 3 << 29)
        for i in 0..<6 { try tree.hold("big", pages: (i << 16)..<((i << 16) + 1)) }
        var scan = FilesScan(walk: TreeWalkOptions())
        scan.method = .mincore
        var viaMincore = CollectingSink()
        _ = try scan.run([tree.root], into: &viaMincore)
        scan.method = .cachestat
        var viaCachestat = CollectingSink()
        _ = try scan.run([tree.root], into: &viaCachestat)
        #expect(viaMincore.cached(tree.path("a")) == 70)
        #expect(viaCachestat.cached(tree.path("a")) == 70)
        #expect(try fincorePages(tree.path("a")) == 70)
        #expect(viaMincore.cached(tree.path("b")) == 0, "mincore's mapping faulted pages in")
        #expect(viaMincore.cached(tree.path("c")) == 0)
        #expect(viaMincore.cached(tree.path("big")) == 6, "the mincore chunks past 1 GiB")
        #expect(viaCachestat.cached(tree.path("big")) == 6)
        #expect(try fincorePages(tree.path("big")) == 6)
        #expect(viaMincore.totals?.method == .mincore)
        #expect(viaMincore.totals?.dirty == nil, "mincore has no dirty count; the totals must not claim 0")
        #expect(viaCachestat.totals?.dirty == 0)
        #expect(try fincorePages(tree.path("b")) == 0)
    }

    /// A hostile tree: a FIFO (never opened, so nothing blocks), a symlink to /etc/shadow (not
    /// followed), a symlink loop (with -f: walked once), a device node (not opened), a name with
    /// an escape sequence and a byte that is not UTF-8 (found, and escaped in the output), and
    /// hard links (counted once). Skips are one line each on stderr and exit 0.
    @Test func hostileTreeIsWalkedWithoutFollowingOrOpeningWhatItMustNot() throws {
        let tree = try CacheTree()
        try tree.write("real", pages: 8)
        tree.read("real", pages: 0..<8)
        #expect(mkfifo(tree.path("fifo"), 0o666) == 0)
        #expect(symlink("/etc/shadow", tree.path("shadow")) == 0)
        #expect(mkdir(tree.path("d"), 0o755) == 0)
        #expect(symlink("..", tree.path("d/loop")) == 0)
        #expect(mknod(tree.path("null"), S_IFCHR | 0o666, (1 << 8) | 3) == 0)  // makedev(1, 3): /dev/null
        #expect(link(tree.path("real"), tree.path("d/hard")) == 0)
        let odd = tree.root + "/x\u{1b}[31m"
        let oddBytes = Array(odd.utf8) + [0xff, 0]
        let fd = oddBytes.withUnsafeBufferPointer {
            open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
        }
        #expect(fd >= 0)
        _ = [UInt8](repeating: 1, count: 4096).withUnsafeBytes { write(fd, $0.baseAddress, 4096) }
        close(fd)

        let r = try pinctl(["files", tree.root], limit: 60)
        #expect(!r.timedOut, "pinctl files blocked (opened the FIFO?)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("shadow") && !r.stderr.contains("/etc/shadow"), "\(r.stdout)")
        #expect(r.stderr.contains("\(tree.path("shadow")): a symbolic link, not followed"), "\(r.stderr)")
        #expect(r.stderr.contains("\(tree.path("fifo")): a FIFO, not opened"), "\(r.stderr)")
        #expect(r.stderr.contains("\(tree.path("null")): a character device, not opened"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 4, "one line per skipped path: \(r.stderr)")
        #expect(r.stdout.contains("x\\x1b[31m\\xff"), "the odd name is escaped: \(r.stdout.debugDescription)")
        expectNoRawControls(r.stdout)
        expectNoRawControls(r.stderr)
        // "real" and "d/hard" are one inode: counted once, as vmtouch counts it.
        let mine = try #require(r.stdout.split(separator: "\n").last { $0.hasPrefix("total:") })
        #expect(mine.hasPrefix("total: 2 files, 2 directories"), "\(mine)")
        let vm = try vmtouchTotals([tree.root])
        #expect(vm?.files == 2, "vmtouch counts the hard-linked file once too: \(String(describing: vm))")
        let (_, _, total) = try filesJSON(["-q", tree.root])
        #expect(total["pages"] as? UInt64 == vm?.total, "\(total) vs vmtouch \(String(describing: vm))")

        // -f follows the loop back to the root once, and the shadow link (root's own choice).
        let f = try pinctl(["files", "-f", tree.root], limit: 60)
        #expect(!f.timedOut && f.status == 0, "\(f.stderr)")
        #expect(f.stderr.contains("a directory already walked"), "\(f.stderr)")
    }

    /// An unreadable directory (for nobody) and a file it may not ask about: one line each on
    /// stderr, the rest reported, exit 9.
    @Test func unreadablePathsAreOneLineEachAndExitNine() throws {
        let tree = try CacheTree()
        chmod(tree.root, 0o755)
        try tree.write("mine", pages: 4)
        #expect(mkdir(tree.path("closed"), 0o700) == 0)
        try tree.write("closed/secret", pages: 4)
        let r = try pinctl(["files", tree.root], as: nobody, limit: 60)
        #expect(r.status == ExitStatus.incomplete, "\(r.stdout) \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(r.stderr.contains("\(tree.path("closed")): cannot open the directory (EACCES)"), "\(r.stderr)")
        #expect(r.stderr.contains("\(tree.path("mine")): cachestat refused (EPERM)"), "\(r.stderr)")
        #expect(r.stdout.contains("could not examine: 2"), "\(r.stdout)")
        let missing = try pinctl(["files", tree.path("nothing-here")])
        expectOneLineError(missing, status: ExitStatus.incomplete, mentions: "nothing-here: no such file or directory (ENOENT)")
    }

    /// --from reads the paths from a file or stdin, a line each or NUL-separated: the same
    /// report as the arguments give. Before, the only way was the command line, whose
    /// parsing grows with the square of the arguments (8,000 paths took seconds); now more
    /// than ArgumentEncoding.maxArguments arguments is one usage error naming --from.
    @Test func pathsFromAListAreTheArgumentsReport() throws {
        let tree = try CacheTree()
        for i in 0..<5 { try tree.write("f\(i)", pages: i + 1) }
        let paths = (0..<5).map { tree.path("f\($0)") }
        let byArguments = try pinctl(["files", "--json"] + paths)
        #expect(byArguments.status == 0, "\(byArguments.stderr)")
        let list = tree.path("list")
        try (paths.joined(separator: "\n") + "\n\n").write(toFile: list, atomically: false, encoding: .utf8)
        let fromFile = try pinctl(["files", "--json", "--from", list])
        #expect(fromFile.status == 0 && fromFile.stdout == byArguments.stdout, "\(fromFile.stderr)")
        let nulList = tree.path("list0")
        try Data((paths.joined(separator: "\0") + "\0").utf8).write(to: URL(fileURLWithPath: nulList))
        let fromStdin = try run([builtBinary("pinctl"), "files", "--json", "--from", "-", "-0"], stdinFile: nulList)
        #expect(fromStdin.status == 0 && fromStdin.stdout == byArguments.stdout, "\(fromStdin.stderr)")
        // An entry that is not UTF-8 names another file: refused, as an argument is.
        try Data(Array((paths[0] + "\n").utf8) + [0x2f, 0x74, 0x6d, 0x70, 0xff, 0x0a]).write(to: URL(fileURLWithPath: list))
        let bad = try pinctl(["files", "--from", list])
        #expect(
            bad.status == ExitStatus.invalidInput && bad.stderr.contains("entry 2") && bad.stderr.contains("not UTF-8"), "\(bad.stderr)")
        // Under --json the document that was started ends well-formed, with the error.
        let badJSON = try pinctl(["files", "--json", "--from", list])
        let doc = try JSONSerialization.jsonObject(with: Data(badJSON.stdout.utf8)) as? [String: Any]
        #expect(badJSON.status == ExitStatus.invalidInput && (doc?["error"] as? String)?.contains("entry 2") == true, "\(badJSON.stdout)")
        let many = try pinctl(["files"] + Array(repeating: tree.path("f0"), count: ArgumentEncoding.maxArguments + 1), limit: 60)
        #expect(many.status == ExitStatus.usage && many.stderr.contains("--from FILE"), "\(many.stderr.prefix(300))")
    }

    /// Before: three sparse files of 2^63-1 bytes made the total wrap modulo 2^64 to a small
    /// number. Totals saturate at 2^64-1 instead (tmpfs takes files that large).
    @Test func totalsSaturateInsteadOfWrapping() throws {
        let dir = try #require(makeTemporaryDirectory("/dev/shm/pinctl-files-huge-XXXXXX"))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 0..<3 {
            let path = dir + "/huge\(i)"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            try #require(truncate(path, off_t.max) == 0, "truncate: \(String(cString: strerror(errno)))")
        }
        let r = try pinctl(["files", "--json", dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""total":{"files":3,"directories":1,"size":\#(UInt64.max),"#), "\(r.stdout.suffix(300))")
    }

    /// -i, -I and -m select what vmtouch's -i, -I and -m select (files counted, pages,
    /// resident pages). vmtouch counts a file over -m among its files (with no pages);
    /// pinctl counts it as skipped. The one file read is held (`CacheTree.hold`): one
    /// comparison per selection.
    @Test func patternsAndMaxSizeSelectWhatVmtouchSelects() throws {
        let tree = try CacheTree()
        #expect(mkdir(tree.path("logs"), 0o755) == 0)
        #expect(mkdir(tree.path("keep"), 0o755) == 0)
        try tree.write("logs/a.log", pages: 4)
        try tree.write("keep/b.log", pages: 8)
        try tree.write("keep/c.dat", pages: 16)
        try tree.write("big.dat", pages: 64)
        try tree.hold("keep/c.dat", pages: 0..<16)
        for options in [["-i", "logs"], ["-I", "*.log"], ["-I", "*.dat", "-i", "keep"], ["-m", "100K"], ["-i", "*.dat", "-m", "16K"]] {
            let (r, _, total) = try filesJSON(options + [tree.root])
            let vm = try vmtouchTotals(options + [tree.root])
            #expect(r.status == 0, "\(options): \(r.stderr)")
            let tooLarge = (total["skipped"] as? [String: Any])?["too-large"] as? UInt64 ?? 0
            #expect((total["files"] as? UInt64).map { $0 + tooLarge } == vm?.files, "\(options): \(total) vs \(String(describing: vm))")
            #expect(total["pages"] as? UInt64 == vm?.total, "\(options): \(total) vs \(String(describing: vm))")
            #expect(total["cached"] as? UInt64 == vm?.resident, "\(options): \(total) vs \(String(describing: vm))")
        }
    }

    /// --evict drops clean pages (fincore agrees) and says why pages stayed: a file mlocked by
    /// `pinctl pin` stays whole, "mapped by pid N (pinctl), mlocked".
    @Test func evictDropsCleanPagesAndNamesTheProcessThatLocksTheRest() throws {
        let tree = try CacheTree()
        try tree.write("loose", pages: 32)
        tree.read("loose", pages: 0..<32)
        try tree.write("locked", pages: 16)
        let holder = try PinHolder(["--method", "mlock", "file:" + tree.path("locked")])
        let (r, files, total) = try filesJSON(["--evict", tree.root])
        #expect(r.status == 0, "\(r.stderr)")
        let locked = try #require(files.first { $0["path"] as? String == tree.path("locked") })
        #expect(locked["cached"] as? UInt64 == 16)
        #expect(locked["stayed"] as? UInt64 == 16)
        let why = (locked["stayedBecause"] as? [String]) ?? []
        #expect(why.contains { $0.contains("mapped by pid \(holder.pid) (pinctl), mlocked") }, "\(why)")
        let loose = try #require(files.first { $0["path"] as? String == tree.path("loose") })
        #expect(loose["cached"] as? UInt64 == 0 && loose["stayed"] as? UInt64 == 0, "\(loose)")
        #expect(try fincorePages(tree.path("loose")) == 0)
        #expect(try fincorePages(tree.path("locked")) == 16)
        #expect(total["stayed"] as? UInt64 == 16)
        holder.stop()
    }

    /// --json is one object whose totals add up its files, and stays one object on failures.
    @Test func jsonTotalsAddUpTheFiles() throws {
        let tree = try CacheTree()
        for i in 0..<20 {
            try tree.write("f\(i)", pages: i)
            tree.read("f\(i)", pages: 0..<(i / 2))
        }
        #expect(mkfifo(tree.path("fifo"), 0o600) == 0)
        let (r, files, total) = try filesJSON([tree.root])
        #expect(r.status == 0)
        let regular = files.filter { $0["cached"] != nil }
        #expect(regular.count == 20)
        #expect(total["pages"] as? UInt64 == regular.reduce(0) { $0 + ($1["pages"] as? UInt64 ?? 0) })
        #expect(total["cached"] as? UInt64 == regular.reduce(0) { $0 + ($1["cached"] as? UInt64 ?? 0) })
        #expect((total["skipped"] as? [String: Any])?["special"] as? UInt64 == 1)
        #expect(files.contains { $0["skipped"] as? String == "special" })
    }

    /// A name swapped between a regular file and a FIFO (and a directory and a link to /etc)
    /// while the walk runs: no run blocks (the FIFO is never opened, or opened O_NONBLOCK and
    /// seen by fstat), each ends 0 or 9, and nothing under /etc is counted.
    @Test func namesSwappedDuringTheWalkNeverBlockOrLeadOutside() throws {
        let tree = try CacheTree()
        try tree.write("file.src", pages: 2)
        #expect(mkfifo(tree.path("fifo.src"), 0o600) == 0)
        #expect(mkdir(tree.path("dir.src"), 0o755) == 0)
        try tree.write("dir.src/inside", pages: 1)
        #expect(symlink("/etc", tree.path("link.src")) == 0)
        let stop = SwapperControl()
        let root = tree.root
        let swapper = Thread {
            defer { stop.finished.signal() }
            var i = 0
            while !stop.stopped {
                // rename(2) swaps the name atomically; link(2) of a FIFO or file keeps the source.
                if i % 2 == 0 {
                    _ = link(root + "/file.src", root + "/x.tmp")
                    _ = rename(root + "/x.tmp", root + "/x")
                    _ = rename(root + "/link.src", root + "/y.tmp")
                    _ = symlink("/etc", root + "/link.src")
                    _ = rename(root + "/y.tmp", root + "/y")
                } else {
                    _ = link(root + "/fifo.src", root + "/x.tmp")
                    _ = rename(root + "/x.tmp", root + "/x")
                    _ = unlink(root + "/y")
                    _ = mkdir(root + "/y.d", 0o755)
                    _ = rename(root + "/y.d", root + "/y")
                }
                i += 1
            }
        }
        swapper.start()
        defer { stop.stop() }
        for _ in 0..<30 {
            let r = try pinctl(["files", "-q", tree.root], limit: 30)
            #expect(!r.timedOut, "pinctl files blocked on a swapped name")
            #expect(r.status == 0 || r.status == ExitStatus.incomplete, "\(r.status): \(r.stderr)")
            #expect(!r.stdout.contains("/etc/") && !r.stdout.contains("y/passwd"), "\(r.stdout)")
            if r.timedOut { break }
        }
        stop.stop()
        stop.finished.wait()
    }

    /// With -f, a link flipped from a regular file to a device node after the stat that said
    /// "regular file" never gets the device opened: inotify, which sees every open of the
    /// node (an O_PATH resolve is not one), sees none in 5,000 walks beside the flipper.
    @Test func aFollowedLinkFlippedToADeviceNeverOpensTheDevice() throws {
        let tree = try CacheTree()
        try tree.write("file", pages: 1)
        let node = tree.path("null")
        try #require(mknod(node, S_IFCHR | 0o600, (1 << 8) | 3) == 0, "mknod of a null device node")
        #expect(mkdir(tree.path("walk"), 0o755) == 0)
        let watch = inotify_init1(O_NONBLOCK | O_CLOEXEC)
        try #require(watch >= 0)
        defer { close(watch) }
        try #require(inotify_add_watch(watch, node, 0x20 /* IN_OPEN */) >= 0)
        func opens() -> Int {
            var events = [UInt8](repeating: 0, count: 4096)
            var n = 0
            while true {
                let r = events.withUnsafeMutableBytes { Glibc.read(watch, $0.baseAddress, $0.count) }
                if r <= 0 { return n }
                n += r / 16  // struct inotify_event with no name
            }
        }
        let stop = SwapperControl()
        let root = tree.root
        let flipper = Thread {
            defer { stop.finished.signal() }
            while !stop.stopped {
                _ = symlink(root + "/file", root + "/walk/l.tmp")
                _ = rename(root + "/walk/l.tmp", root + "/walk/link")
                _ = symlink(root + "/null", root + "/walk/l.tmp")
                _ = rename(root + "/walk/l.tmp", root + "/walk/link")
            }
        }
        flipper.start()
        var options = TreeWalkOptions()
        options.followSymlinks = true
        var files = 0
        for _ in 0..<5000 {
            var walker = TreeWalker(options: options)
            try walker.walk(tree.path("walk")) { (event) throws(PinctlError) in
                if case .file = event { files += 1 }
            }
        }
        stop.stop()
        stop.finished.wait()
        #expect(opens() == 0, "the device node was opened through the flipped link")
        #expect(files > 0, "the link was never seen as the regular file: the race was not run")
        // The watch does see an open of the node.
        let fd = open(node, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { close(fd) }
        #expect(opens() == 1)
    }

    /// The report streams: 15,000 files with 200-byte names (about 4.6 MB of JSON, 4.3 MB of
    /// text) take at most 3 MiB more max RSS than a tree of one file, in either format.
    /// Measured by GNU time, whose child starts from time's own small address space
    /// (posix_spawn from this test process would count the test's RSS: exec records the old
    /// address space's high-water mark).
    @Test(
        .enabled(if: !underSanitizer, "a sanitizer's shadow memory and quarantine are in the RSS: the bound is pinctl's own"),
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"),
            "GNU time measures max RSS: run scripts/check/install-deps.sh"))
    func aLargeTreeIsReportedInBoundedMemory() throws {
        let tree = try CacheTree()
        let long = String(repeating: "n", count: 190)
        for d in 0..<3 {
            #expect(mkdir(tree.path("d\(d)"), 0o755) == 0)
            for i in 0..<5000 {
                let fd = open(tree.path("d\(d)/\(long)\(i)"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
                if fd >= 0 { close(fd) }
            }
        }
        let small = try CacheTree()
        try small.write("one", pages: 1)
        func maxRSS(_ args: [String]) throws -> UInt64? {
            let r = try run(["/usr/bin/time", "-f", "maxrss %M", builtBinary("pinctl"), "files"] + args, limit: 120)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            let line = r.stderr.split(separator: "\n").last { $0.hasPrefix("maxrss ") }
            return line.flatMap { UInt64($0.dropFirst(7)) }.map { $0 << 10 }
        }
        for format in ["--json", "--quiet"] {
            let base = try #require(try maxRSS([format, small.root]))
            let big = try #require(try maxRSS([format, tree.root]))
            #expect(big < base + (3 << 20), "\(format): max RSS \(big >> 10) KiB for 15,000 files, \(base >> 10) KiB for one")
        }
    }

    /// A file named on the command line: -I and -i match its last name (as vmtouch's do), and
    /// a symlink argument is skipped without -f and followed with it.
    @Test func argumentsAreMatchedByLastNameAndLinksFollowedOnlyWithF() throws {
        let tree = try CacheTree()
        try tree.write("data.db", pages: 3)
        try tree.hold("data.db", pages: 0..<3)
        #expect(symlink(tree.path("data.db"), tree.path("link")) == 0)
        for options in [["-I", "*.db"], ["-I", "data*"], ["-i", "*.db"], ["-I", "*.log"]] {
            let (r, _, total) = try filesJSON(options + [tree.path("data.db")])
            let vm = try vmtouchTotals(options + [tree.path("data.db")])
            #expect(r.status == 0)
            #expect(total["files"] as? UInt64 == vm?.files, "\(options): \(total) vs \(String(describing: vm))")
        }
        let plain = try pinctl(["files", tree.path("link")])
        #expect(plain.status == 0 && plain.stderr.contains("a symbolic link, not followed"), "\(plain.stderr)")
        #expect(plain.stdout.contains("total: 0 files"), "\(plain.stdout)")
        let (f, files, _) = try filesJSON(["-f", tree.path("link")])
        #expect(f.status == 0, "\(f.stderr)")
        #expect(files.first?["cached"] as? UInt64 == 3, "\(files)")
    }

}

import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// `pin file:DIR` and several ranges in one pin, live (6.18), against fincore and VmLck.
@Suite(
    .serialized, .enabled(if: isRoot, "live pin tests need root (mlock, another user's limits)"),
    .needsBuiltPinctl,
    .enabled(if: fincorePath != nil, "fincore (util-linux) is the baseline: run scripts/check/install-deps.sh"))
struct TreePinTests {
    /// A tree of files of several sizes (one not a whole number of pages, one empty), a FIFO,
    /// a symlink to /etc/shadow and a subdirectory.
    static func makeTree() throws -> (CacheTree, lockedBytes: UInt64, files: [String]) {
        let tree = try CacheTree()
        chmod(tree.root, 0o755)
        #expect(mkdir(tree.path("sub"), 0o755) == 0)
        try tree.write("a", pages: 10)
        try tree.write("sub/b", pages: 33)
        try tree.write("c", pages: 2)
        _ = truncate(tree.path("c"), off_t(tree.pageSize + 1))
        try tree.write("empty", pages: 0)
        #expect(mkfifo(tree.path("fifo"), 0o666) == 0)
        #expect(symlink("/etc/shadow", tree.path("shadow")) == 0)
        let bytes = UInt64((10 + 33 + 2) * tree.pageSize)
        return (tree, bytes, [tree.path("a"), tree.path("sub/b"), tree.path("c")])
    }

    /// The holder's VmLck equals the tree's page-rounded size (the /etc/shadow link and the
    /// FIFO add nothing), fincore shows every page resident, and SIGTERM releases it (exit 0).
    @Test func treePinLocksEveryFileAndNothingElse() throws {
        let (tree, bytes, files) = try Self.makeTree()
        let holder = try PinHolder(["file:" + tree.root])
        let report = holder.reportLine()
        #expect(statusField(holder.pid, "VmLck") == bytes, "\(report)")
        #expect(report.contains("\"files\":3"), "\(report)")
        for f in files {
            let size = UInt64(try FileManager.default.attributesOfItem(atPath: f)[.size] as! UInt64)
            let pages = (size + PagemapReader.pageSize - 1) / PagemapReader.pageSize
            #expect(try fincorePages(f) == pages, "\(f)")
        }
        let maps = try readProcText("/proc/\(holder.pid)/maps")
        #expect(!maps.contains("/etc/shadow"), "the shadow link was followed")
        #expect(holder.stop() == 0)
        let stderr = String(decoding: holder.err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("\(tree.path("shadow")): a symbolic link, not followed"), "\(stderr)")
        #expect(stderr.contains("\(tree.path("fifo")): a FIFO, not opened"), "\(stderr)")
        #expect(stderr.contains("released file:\(tree.root)"), "\(stderr)")
    }

    /// Released in the library: VmLck goes back to where it was, and a file that grows and
    /// one that shrinks while held change nothing about the release.
    @Test func treePinReleaseUnlocksEverythingEvenAfterFilesChanged() throws {
        let (tree, bytes, _) = try Self.makeTree()
        let before = ProcStatus.parse(try readProcText("/proc/self/status")).vmLck ?? 0
        let pin = TreePin(root: tree.root, walk: TreeWalkOptions())
        try pin.check(try pin.plan())
        var notes: [String] = []
        try pin.pin { notes.append($0) }
        #expect(pin.files == 3)
        #expect(ProcStatus.parse(try readProcText("/proc/self/status")).vmLck == before + bytes)
        #expect(notes.count == 2, "\(notes)")
        // Grow one, shrink another while they are locked.
        let fd = open(tree.path("a"), O_WRONLY | O_APPEND)
        _ = [UInt8](repeating: 7, count: 3 * tree.pageSize).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        #expect(truncate(tree.path("sub/b"), off_t(tree.pageSize)) == 0)
        pin.release()
        #expect(ProcStatus.parse(try readProcText("/proc/self/status")).vmLck == before)
        pin.release()
    }

    /// Before: the memory check added up the first walk's sizes, but each file was locked
    /// at the size the second walk saw: a file grown in between was locked whole (VmLck
    /// 2 GiB after a 1.2 MiB plan; in a small memory cgroup, an OOM kill). Now a file is
    /// locked no larger than it was checked, and one that appeared meanwhile is left out.
    @Test func treePinLocksNoMoreThanTheMemoryCheckAdmitted() throws {
        let (tree, bytes, _) = try Self.makeTree()
        let before = ProcStatus.parse(try readProcText("/proc/self/status")).vmLck ?? 0
        let pin = TreePin(root: tree.root, walk: TreeWalkOptions())
        defer { pin.release() }
        let plan = try pin.plan()
        try pin.check(plan)
        #expect(plan.bytes == bytes)
        // Between the walks: one file grows by 64 pages, a new one appears.
        let fd = open(tree.path("a"), O_WRONLY | O_APPEND)
        _ = [UInt8](repeating: 7, count: 64 * tree.pageSize).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        try tree.write("new", pages: 16)
        var notes: [String] = []
        try pin.pin { notes.append($0) }
        #expect(pin.bytes == bytes && pin.files == 3, "\(notes)")
        #expect(ProcStatus.parse(try readProcText("/proc/self/status")).vmLck == before + bytes)
        #expect(notes.contains { $0.contains("/a: grew from \(10 * tree.pageSize) to \(74 * tree.pageSize) bytes") }, "\(notes)")
        #expect(notes.contains { $0.contains("/new: appeared after the memory check: not locked") }, "\(notes)")
    }

    /// The same for file:PATH: the check stats the path, the mapping opens it later; a file
    /// grown in between is mapped at the size that was checked, and the report says so.
    @Test func fileRangeIsMappedNoLargerThanAdmitted() throws {
        let tree = try CacheTree()
        try tree.write("f", pages: 256)
        let range = try MappedRange(.file(path: tree.path("f"), offset: 0, length: nil), write: false, admitted: 8 * UInt64(tree.pageSize))
        defer { range.unmap() }
        #expect(range.length == 8 * UInt64(tree.pageSize))
        #expect(range.trimmed?.contains("grew to \(256 * tree.pageSize) bytes after the memory check") == true, "\(range.trimmed ?? "")")
    }

    /// Over RLIMIT_MEMLOCK (nobody, 64 KiB): refused before anything is locked, one line that
    /// names the files, the total and the fix; exit 8.
    @Test func treeOverRlimitMemlockIsRefusedWithTheTotalAndTheFix() throws {
        let (tree, _, _) = try Self.makeTree()
        let r = try pinctl(["pin", "--for", "0", "file:" + tree.root], as: ["/usr/bin/prlimit", "--memlock=65536:65536"] + nobody)
        #expect(r.status == ExitStatus.refused, "\(r.stderr)")
        #expect(r.stderr.contains("(3 files, 180 KiB)") && r.stderr.contains("RLIMIT_MEMLOCK (64 KiB)"), "\(r.stderr)")
        #expect(r.stderr.contains("ulimit -l"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    /// Several ranges in one pin: a tree, a file and anonymous memory, reported each under
    /// parts with their sums; VmLck covers the locked ones.
    @Test func severalRangesArePinnedAndReportedTogether() throws {
        let (tree, bytes, _) = try Self.makeTree()
        let one = try CacheTree()
        try one.write("f", pages: 5)
        let holder = try PinHolder(["--method", "mlock", "file:" + tree.root, "file:" + one.path("f"), "anon:1M"])
        let line = holder.reportLine()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        let parts = (json["parts"] as? [[String: Any]]) ?? []
        #expect(parts.count == 3)
        #expect(json["bytes"] as? UInt64 == bytes + 5 * 4096 + (1 << 20))
        #expect(statusField(holder.pid, "VmLck") == bytes + 5 * 4096 + (1 << 20))
        #expect(holder.stop() == 0)
    }

    /// A tree with a method other than mlock, or with @OFFSET, is one line and exit 2.
    @Test func treeWithAnotherMethodOrOffsetIsOneLineExitTwo() throws {
        let (tree, _, _) = try Self.makeTree()
        let r = try pinctl(["pin", "--for", "0", "--method", "iouring", "file:" + tree.root])
        expectOneLineError(r, status: ExitStatus.invalidInput, mentions: "a tree is locked with mlock")
        let o = try pinctl(["pin", "--for", "0", "file:" + tree.root + "@4K"])
        expectOneLineError(o, status: ExitStatus.invalidInput, mentions: "file:DIR takes no @OFFSET or +LEN")
    }
}

import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The memory preflight's reading of /proc/self/cgroup, mountinfo and the cgroup files.
/// The host runs the memory controller on cgroup v1, so the v2 layout is checked here on a
/// directory tree laid out as cgroup2 lays it out (the live v1 test is in HostilePinInputTests).
struct MemoryHeadroomTests {
    /// A cgroup tree under a temporary mount point: root (no limit), a (max), a/b (1 GiB).
    final class Tree {
        let root = "/tmp/pinctl-memcg-\(getpid())-\(UUID().uuidString.prefix(8))"

        init(v2: Bool) throws {
            let leaf = "\(root)/a/b"
            try FileManager.default.createDirectory(atPath: leaf, withIntermediateDirectories: true)
            let (max, current, stat) =
                v2
                ? ("memory.max", "memory.current", ("active_file", "inactive_file"))
                : ("memory.limit_in_bytes", "memory.usage_in_bytes", ("total_active_file", "total_inactive_file"))
            try write("\(root)/a/\(max)", v2 ? "max\n" : "9223372036854771712\n")
            try write("\(root)/a/\(current)", "\(2 << 30)\n")
            try write("\(leaf)/\(max)", "\(1 << 30)\n")
            try write("\(leaf)/\(current)", "\(900 << 20)\n")
            try write("\(leaf)/memory.stat", "anon 1000\n\(stat.0) \(50 << 20)\n\(stat.1) \(30 << 20)\nshmem 7\n")
        }

        func write(_ path: String, _ text: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }

        deinit { _ = try? FileManager.default.removeItem(atPath: root) }
    }

    @Test func v2LimitIsFoundWalkingUpAndCreditsPageCache() throws {
        let t = try Tree(v2: true)
        let limits = MemoryHeadroom.cgroupLimits(
            cgroupText: "0::/a/b\n", mountinfoText: "41 31 0:38 / \(t.root) rw,relatime - cgroup2 cgroup2 rw\n")
        #expect(limits.count == 1, "only a/b has a limit: \(limits)")
        let l = try #require(limits.first)
        #expect(l.directory == "\(t.root)/a/b")
        #expect(l.limit == 1 << 30 && l.usage == 900 << 20 && l.reclaimable == 80 << 20)
        #expect(l.headroom == (124 + 80) << 20)
        let big = MemoryHeadroom.MemInfo(total: 1 << 40, available: 1 << 40)
        let refusal = try #require(MemoryHeadroom.shortfall(300 << 20, what: "anon:300 MiB", memInfo: big, cgroups: limits))
        #expect(refusal.contains("\(t.root)/a/b") && refusal.contains("limit 1 GiB") && refusal.contains("204 MiB left"), "\(refusal)")
        #expect(MemoryHeadroom.shortfall(200 << 20, what: "anon:200 MiB", memInfo: big, cgroups: limits) == nil)
    }

    @Test func v1MemoryHierarchyIsUsedAndV2IgnoredWhenV1HoldsMemory() throws {
        let t = try Tree(v2: false)
        let limits = MemoryHeadroom.cgroupLimits(
            cgroupText: "4:memory:/a/b\n1:cpu:/\n0::/\n",
            mountinfoText: """
                35 31 0:32 / \(t.root) rw,relatime - cgroup cgroup rw,memory
                32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
                41 31 0:38 / /nonexistent/unified rw,relatime - cgroup2 cgroup2 rw

                """)
        #expect(limits.map(\.directory) == ["\(t.root)/a/b"], "v1's unlimited (PAGE_COUNTER_MAX) a is skipped: \(limits)")
        #expect(limits.first?.reclaimable == 80 << 20)
    }

    @Test func cgroupNamespaceRootAndEscapedMountPointsAreResolved() throws {
        let t = try Tree(v2: true)
        let spaced = t.root + " x"
        try FileManager.default.moveItem(atPath: t.root, toPath: spaced)
        defer { _ = try? FileManager.default.removeItem(atPath: spaced) }
        // A mount of the subtree /a: its root is stripped from the path /proc/self/cgroup gives.
        let sub = MemoryHeadroom.cgroupLimits(
            cgroupText: "0::/a/b\n", mountinfoText: "41 31 0:38 /a \(t.root)\\040x/a rw - cgroup2 cgroup2 rw\n")
        #expect(sub.map(\.directory) == ["\(spaced)/a/b"], "\(sub)")
        let whole = MemoryHeadroom.cgroupLimits(
            cgroupText: "0::/a/b\n", mountinfoText: "41 31 0:38 / \(t.root)\\040x rw - cgroup2 cgroup2 rw\n")
        #expect(whole.map(\.directory) == ["\(spaced)/a/b"], "\\040 in mountinfo is a space: \(whole)")
    }

    /// In a cgroup namespace rooted at a/b, /proc/self/cgroup says "/" and the mount's root
    /// is "/../..": the directory two levels down that lists this process is a/b, not its
    /// sibling at the same depth, and the limits above it count.
    @Test func cgroupNamespaceAboveTheMountIsFoundByThisProcessInCgroupProcs() throws {
        let t = try Tree(v2: true)
        try FileManager.default.createDirectory(atPath: "\(t.root)/a/c", withIntermediateDirectories: true)
        try t.write("\(t.root)/a/c/cgroup.procs", "1\n\(getpid() + 1)\n")
        try t.write("\(t.root)/a/c/memory.max", "\(1 << 20)\n")
        try t.write("\(t.root)/a/c/memory.current", "0\n")
        try t.write("\(t.root)/a/b/cgroup.procs", "7\n\(getpid())\n")
        let mount = "41 31 0:38 /../.. \(t.root) rw,relatime - cgroup2 cgroup2 rw\n"
        let limits = MemoryHeadroom.cgroupLimits(cgroupText: "0::/\n", mountinfoText: mount)
        #expect(limits.map(\.directory) == ["\(t.root)/a/b"], "\(limits)")
        // A mount of another subtree (its root outside the namespace but not above it) is no view of it.
        #expect(
            MemoryHeadroom.cgroupLimits(cgroupText: "0::/\n", mountinfoText: "41 31 0:38 /../x \(t.root) rw - cgroup2 cgroup2 rw\n").isEmpty
        )
        #expect(MemoryHeadroom.ownDirectory(mount: t.root, root: "/../..", path: "/") == "\(t.root)/a/b")
    }

    @Test func memInfoIsReadInBytes() {
        let m = MemoryHeadroom.memInfo("MemTotal:       24684092 kB\nMemFree:        1 kB\nMemAvailable:   23350120 kB\n")
        #expect(m == MemoryHeadroom.MemInfo(total: 24_684_092 * 1024, available: 23_350_120 * 1024))
        #expect(MemoryHeadroom.memInfo("MemTotal: 99999999999999999999 kB\n") == nil)
    }
}

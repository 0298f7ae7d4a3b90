import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

let kernelHelperLoaded = access(KernelHelper.devicePath, F_OK) == 0

/// Without the KernelHelper module (always so on a host without CONFIG_MODULES), every
/// kmod path says what to do instead of failing obscurely. The module itself is tested in
/// QEMU by scripts/vm/test.sh.
@Suite(
    .serialized, .enabled(if: !kernelHelperLoaded, "the KernelHelper module is loaded here: these tests are for its absence"),
    .enabled(if: binariesBuilt, "run `swift build` first"))
struct KernelHelperAbsentTests {
    @Test func statusSaysNotLoadedAndExits0() throws {
        let r = try pinctl(["module", "status", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(j["loaded"] as? Bool == false && j["device"] as? Bool == false)
    }

    @Test func kmodPinsAreRefusedWithTheFix() throws {
        let m = try pinctl(["pin", "--method", "kmod", "--for", "0", "anon:4M"])
        #expect(m.status == ExitStatus.refused && m.stderr.contains("pinctl module load"))
        let remote = try pinctl(["pin", "--pid", "1", "--for", "0", "[stack]"])
        #expect(remote.status == ExitStatus.refused && remote.stderr.contains("KernelHelper"))
        let wrongMethod = try pinctl(["pin", "--pid", "1", "--method", "mlock", "[stack]"])
        #expect(wrongMethod.status == ExitStatus.usage)
    }

    /// ABI 2 names a remote target by a descriptor of its /proc/PID/mem: the client opens it
    /// (the kernel's ptrace check) and maps a vanished pid to processNotFound, not a bare errno.
    /// Something else at /dev/pinctl, a FIFO (whose open would block) or another device
    /// (which answers ENOTTY: a node of /dev/null's numbers, or /dev/null itself bind-mounted
    /// there), is no module: `pin` never opens it and picks another method. Planted on a
    /// tmpfs /dev of a mount namespace of its own, so no other test sees it.
    @Test(
        .enabled(if: isRoot, "a mount namespace needs root"),
        arguments: [
            "mkfifo /dev/pinctl", "mknod /dev/pinctl c 1 3",
            "touch /dev/pinctl && mount --bind DIR/null /dev/pinctl",
        ])
    func somethingElseAtTheDevicePathIsNoModule(_ plant: String) throws {
        // The real /dev stays reachable at DIR (inside the namespace only) for a bind mount.
        let dir = try tempDir("devbind")
        defer { rmdir(dir) }
        let setup = plant.replacingOccurrences(of: "DIR", with: dir)
        let script = "mount --bind /dev \(dir) && mount -t tmpfs pinctl-test /dev && \(setup) && exec \"$@\""
        let r = try run(
            ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", builtBinary("pinctl")]
                + ["pin", "--for", "0", "anon:4M"], limit: 30)
        #expect(!r.timedOut, "pin blocked on what was planted at /dev/pinctl")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("kmod") && !r.stderr.contains("ENOTTY"), "\(r.stdout)\(r.stderr)")
    }

    @Test func remoteTargetIsOpenedAsProcPidMem() throws {
        let own = try KernelHelper.openProcessMemory(pid: getpid())
        #expect(own.path == "/proc/\(getpid())/mem" && own.raw >= 0)
        do {
            _ = try KernelHelper.openProcessMemory(pid: 0x3fff_fffe)
            Issue.record("pid 0x3ffffffe opened")
        } catch {
            guard case .processNotFound(let pid) = error else {
                Issue.record("want processNotFound, got \(error)")
                return
            }
            #expect(pid == 0x3fff_fffe)
        }
    }

    @Test func autoDoesNotChooseKmodAndDryRunSaysWhy() throws {
        let dry = try pinctl(["pin", "--dry-run", "--json", "anon:4M"])
        let verdicts = try #require(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [[String: Any]])
        let kmod = try #require(verdicts.first { $0["method"] as? String == "kmod" })
        #expect(kmod["works"] as? Bool == false)
        #expect((kmod["reasons"] as? [String])?.first?.contains("/dev/pinctl") == true)
        #expect(PinSession.choose(backing: .anonymous, bytes: 4096, kmodLoaded: false).0 != .kmod)
        #expect(PinSession.choose(backing: .anonymous, bytes: 4096, kmodLoaded: true).0 == .kmod)
        #expect(PinSession.choose(backing: .file, bytes: 4096, write: true, kmodLoaded: true).0 == .mlock)
    }

    @Test func inspectRowsCarryNullRefcountsWithoutTheModule() throws {
        let h = try Holder(["anon:8K"])
        defer { h.stop() }
        let report = try Inspector(process: ProcessRef(pid: h.pid)).inspect(.address(h.region("anon").start))
        #expect(!report.kernelHelper)
        #expect(report.pages.allSatisfy { $0.refcount == nil && $0.dmaPinned == nil })
    }

    @Test func loadingFailsClearlyWhereModulesAreUnsupportedOrTheFileIsMissing() throws {
        let r = try pinctl(["module", "load", "/nonexistent/pinctl.ko"])
        #expect(r.status == ExitStatus.refused || r.status == ExitStatus.invalidInput, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        let u = try pinctl(["module", "unload"])
        #expect(u.status == 0 || u.status == ExitStatus.refused, "\(u.stderr)")
    }

    @Test func benchIsRefusedWithTheFixAndBadIterationsAreNamed() throws {
        let r = try pinctl(["module", "bench", "anon:4M"])
        #expect(r.status == ExitStatus.refused && r.stderr.contains("pinctl module load"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        for bad in ["0", "1001", "99999999999999999999", "x"] {
            let b = try pinctl(["module", "bench", "--iterations", bad, "anon:4M"])
            #expect(b.status == ExitStatus.invalidInput && b.stderr.contains("--iterations '\(bad)'"), "\(bad): \(b.stderr)")
        }
        #expect(KernelBench.callName([.fast, .write, .longterm]) == "pin_user_pages_fast(FOLL_WRITE|FOLL_LONGTERM)")
        #expect(KernelBench.callName([.get]) == "get_user_pages(0)")
        #expect(TextRendering.fixed(0.05, places: 3) == "0.050" && TextRendering.fixed(2.007, places: 2) == "2.01")
        #expect(TextRendering.formatMs(1.25) == "1.3 ms" && TextRendering.formatMs(12) == "12.0 ms")
    }

    /// The user-space fallback of `pinctl module load` for a module the kernel will not
    /// decompress (Debian 12's dkms xz): the real xz(1) into a memfd, bytes unchanged; a damaged
    /// file is refused with the fix. It reads the descriptor that was checked, from its start,
    /// not the path again: a file renamed over the path in between is not what gets
    /// decompressed (before, `xz -dc PATH` read whatever the path named by then). The load
    /// itself is tested in the VM (scripts/vm/test.sh).
    @Test func compressedModulesAreDecompressedInUserSpaceExactly() throws {
        #expect(ModuleControl.decompressor(for: "/lib/modules/r/updates/dkms/pinctl.ko.xz") == "xz")
        #expect(ModuleControl.decompressor(for: "pinctl.ko.zst") == "zstd")
        #expect(ModuleControl.decompressor(for: "pinctl.ko.gz") == "gzip")
        #expect(ModuleControl.decompressor(for: "pinctl.ko") == nil)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pinctl-xz-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        let ko = dir.appendingPathComponent("pinctl.ko")
        try original.write(to: ko)
        let xz = try run(["/usr/bin/xz", "-z", "-k", ko.path])
        #expect(xz.status == 0, "xz: \(xz.stderr)")

        let checked = try ModuleControl.openModuleFile(ko.path + ".xz")
        var skipped = [UInt8](repeating: 0, count: 6)
        #expect(read(checked.raw, &skipped, 6) == 6)
        let swapped = dir.appendingPathComponent("swapped")
        try Data("not the module".utf8).write(to: swapped)
        #expect(rename(swapped.path, ko.path + ".xz") == 0)
        let decompressed = try ModuleControl.decompress(checked.raw, ko.path + ".xz", with: "xz")
        let fd = decompressed.raw
        var st = stat()
        #expect(fstat(fd, &st) == 0 && st.st_size == original.count)
        var back = [UInt8](repeating: 0, count: original.count)
        #expect(pread(fd, &back, back.count, 0) == original.count)
        #expect(Data(back) == original)

        let damaged = dir.appendingPathComponent("damaged.ko.xz")
        try Data("not an xz stream".utf8).write(to: damaged)
        let damagedFile = try ModuleControl.openModuleFile(damaged.path)
        let damagedFd = damagedFile.raw
        #expect {
            try ModuleControl.decompress(damagedFd, damaged.path, with: "xz")
        } throws: { e in
            "\(e)".contains("damaged")
        }
        #expect {
            try ModuleControl.decompress(damagedFd, damaged.path, with: "pinctl-no-such-decompressor")
        } throws: { e in
            "\(e)".contains("not on PATH")
        }
        withExtendedLifetime((checked, decompressed, damagedFile)) {}
    }
}

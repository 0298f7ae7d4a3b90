import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// Independent readers for checking the census: plain string splitting of the raw files.
enum RawCensus {
    static func statusField(_ pid: Int32, _ name: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return UInt64(f[1]).map { $0 * 1024 }
        }
        return nil
    }

    /// "    0: 0xADDR/LEN" lines of every io_uring fd of the process.
    static func ioUringBuffers(_ pid: Int32) -> [(UInt64, UInt64)] {
        var out: [(UInt64, UInt64)] = []
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        for fd in fds {
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == "anon_inode:[io_uring]",
                let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8)
            else { continue }
            for line in info.split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard let colon = t.firstIndex(of: ":"), Int(t[..<colon]) != nil else { continue }
                let spec = t[t.index(after: colon)...].trimmingCharacters(in: .whitespaces).split(separator: "/")
                out.append((UInt64(spec[0].dropFirst(2), radix: 16)!, UInt64(spec[1])!))
            }
        }
        return out
    }
}

@Suite(
    .serialized, .enabled(if: isRoot, "the census reads every process's fds and smaps and writes stat_refresh: it needs root"),
    .needsBuiltBinaries)
struct CensusLiveTests {
    /// A 64 MiB io_uring buffer is its holder's row: the buffers fdinfo lists, VmPin, and
    /// 16384 pins attributed to it, within the outstanding FOLL_PIN count the same census
    /// read. Compared once, on the holder's own state, which nobody else changes; the vmstat
    /// count moves with every pinner on the host, so only its split in this one report
    /// (attributed plus unattributed) is checked exactly.
    @Test func ioUringBuffersAreAttributedToTheirProcessAndMatchFdinfoAndVmPin() throws {
        let holder = try PinHolder(["--method", "iouring", "--for", "60s", "anon:64M,nothp"])
        defer { holder.stop() }
        let report = try Census.take()
        let row = try #require(report.rows.first { $0.pid == holder.pid }, "no census row for the io_uring holder")
        // fdinfo, read independently: the same buffers, 64 MiB, 16384 pages.
        let raw = RawCensus.ioUringBuffers(holder.pid)
        #expect(raw.count == 1 && raw.first?.1 == 64 << 20)
        let buffers = row.ioUringRings.flatMap(\.buffers)
        #expect(buffers.map(\.address) == raw.map(\.0) && buffers.map(\.length) == raw.map(\.1))
        #expect(row.ioUringPinPages == 16384)
        #expect(row.vmPinBytes == RawCensus.statusField(holder.pid, "VmPin"))
        #expect(row.vmPinBytes == 64 << 20)
        #expect(row.attributedPinPages == 16384)
        let outstanding = try #require(report.totals.follPinOutstandingPages)
        #expect(report.totals.attributedPinPages >= 16384 && report.totals.attributedPinPages <= outstanding)
        #expect(outstanding == report.totals.attributedPinPages + (report.totals.unattributedPinPages ?? 0))
    }

    @Test func mlockedRegionIsALockedVMAOfItsProcess() throws {
        let h = try Holder(["mlock:8M"])
        defer { h.stop() }
        let region = h.region("mlock")
        let report = try Census.take()
        let row = try #require(report.rows.first { $0.pid == h.pid })
        #expect(row.vmLckBytes == RawCensus.statusField(h.pid, "VmLck"))
        #expect(row.vmLckBytes == region.size)
        #expect(row.lockedVMAs.count == 1)
        let vma = try #require(row.lockedVMAs.first)
        #expect(vma.start == region.start && vma.size == region.size && vma.lockedBytes == region.size)
        #expect(row.comm == "pinctl-test-hol")
        #expect(row.bytes == region.size)
        // Sorted by bytes.
        #expect(zip(report.rows, report.rows.dropFirst()).allSatisfy { $0.bytes >= $1.bytes })
    }

    /// As nobody, root's process has an unreadable fd/ and smaps (ptrace's read check) but
    /// a readable status: its row stays, with its VmLck, and names what it could not read;
    /// the text never claims that no process locks memory.
    @Test func aProcessWhoseFdsCannotBeReadKeepsItsRowAndSaysWhatIsUnknown() throws {
        let h = try Holder(["mlock:8M"])
        defer { h.stop() }
        let json = try run(nobody + [builtBinary("pinctl"), "census", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try JSONDecoder().decode(CensusReport.self, from: Data(json.stdout.utf8))
        let row = try #require(report.rows.first { $0.pid == h.pid }, "no row for root's mlocking process as nobody")
        #expect(row.vmLckBytes == 8 << 20 && row.lockedVMAs.isEmpty)
        #expect(row.unread == [.fds, .smaps])
        let text = try run(nobody + [builtBinary("pinctl"), "census"])
        #expect(text.stdout.contains("fds unreadable (run as root)") && text.stdout.contains("read in part"), "\(text.stdout)")
        #expect(!text.stdout.contains("no process pins or locks memory"))
    }

    @Test func processesThatDoNotPinOrLockHaveNoRow() throws {
        let h = try Holder(["anon:1M"])
        defer { h.stop() }
        let report = try Census.take()
        #expect(!report.rows.contains { $0.pid == h.pid })
        #expect(!report.rows.contains { $0.pid == getpid() })
        #expect(report.processesScanned > 1)
    }

    @Test func processesExitingDuringTheScanNeverFailTheCensus() throws {
        // Short-lived processes race every census: none may fail it or leave a half row.
        for _ in 0..<10 {
            var churn: [Process] = []
            for _ in 0..<30 {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/true")
                try p.run()
                churn.append(p)
            }
            let r = try Census.take(CensusOptions(refreshVmstat: false))
            #expect(r.rows.allSatisfy { $0.pid > 0 && ($0.bytes > 0 || !$0.deviceFds.isEmpty || !$0.ioUringRings.isEmpty) })
            for p in churn { p.waitUntilExit() }
        }
    }

    @Test func hostileCommIsEscapedInTextAndExactInJSON() throws {
        let h = try Holder(["hostilecomm:1", "mlock:64K"])
        defer { h.stop() }
        let text = try pinctl(["census"])
        #expect(text.status == 0)
        #expect(!text.stdout.utf8.contains(0x1b) && !text.stdout.utf8.contains(0x07))
        #expect(text.stdout.contains("ev\\x1b[31m\\x07x\\xffcomm"))
        let json = try pinctl(["census", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let rows = try #require(object?["rows"] as? [[String: Any]])
        let row = try #require(rows.first { ($0["pid"] as? Int) == Int(h.pid) })
        #expect(row["comm"] as? String == "ev\u{1b}[31m\u{07}x\u{fffd}comm")
        #expect(row["commBytes"] as? String == "65761b5b33316d0778ff636f6d6d")
        let metrics = try pinctl(["census", "--openmetrics"])
        #expect(!metrics.stdout.utf8.contains(0x1b))
        #expect(metrics.stdout.contains(#"comm="ev\\x1b[31m\\x07x\\xffcomm""#))
    }

    @Test func missingRDMANetlinkIsOneLineAndTheCensusGoesOn() throws {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue), 20 /* NETLINK_RDMA */)
        let absent = fd < 0
        if fd >= 0 { close(fd) }
        let report = try Census.take()
        let lines = report.missingSources.filter { $0.hasPrefix("RDMA netlink:") }
        #expect(lines.count == (absent ? 1 : 0))
        #expect((report.rdma == nil) == absent)
        #expect(report.processesScanned > 0)
    }
}

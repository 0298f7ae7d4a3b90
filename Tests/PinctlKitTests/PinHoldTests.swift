import Foundation
import Testing

@testable import PinctlKit

/// The hold of a pin, reached directly: the pidfile's life, what the service manager is told
/// and when, and the exit status a signal gives.
struct PinHoldTests {
    /// The events of one hold of "anon:1 MiB", and its exit status.
    static func hold(_ h: PinHold, during: ((PinHold.Event) -> Void)? = nil) throws(PinctlError) -> ([PinHold.Event], Int32) {
        var events: [PinHold.Event] = []
        let status = try h.hold(range: "anon:1 MiB", status: "holding anon:1 MiB") { e in
            during?(e)
            events.append(e)
        }
        return (events, status)
    }

    @Test func pidfileHoldsThisPidDuringTheHoldAndIsGoneAfter() throws {
        let dir = try tempDir("hold")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/hold.pid"
        var during: String?
        let (events, status) = try Self.hold(PinHold(seconds: 0, pidfile: try Pidfile.prepare(path))) { _ in
            during = try? String(contentsOfFile: path, encoding: .utf8)
        }
        #expect(during == "\(getpid())\n")
        #expect(access(path, F_OK) != 0, "the pidfile is removed when the hold ends")
        #expect(events == [.released(range: "anon:1 MiB", why: "hold time over")], "a 0 s hold says no 'holding' line")
        #expect(status == ExitStatus.ok)
    }

    @Test func aPidfileNameTakenSincePrepareFailsTheHoldAndIsLeftAlone() throws {
        let dir = try tempDir("hold")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/hold.pid"
        let pidfile = try Pidfile.prepare(path)
        try Data("someone else's\n".utf8).write(to: URL(fileURLWithPath: path))
        var events: [PinHold.Event] = []
        var announced = false
        #expect(throws: PinctlError.self) {
            try PinHold(seconds: 0, pidfile: pidfile).hold(range: "r", status: "s", announce: { announced = true }) { events.append($0) }
        }
        #expect(events.isEmpty, "no hold without its pidfile: \(events)")
        // Before: the loser of two pins racing for one pidfile printed its whole success
        // report (a second JSON document), then exited 2.
        #expect(!announced, "the report was printed though the pidfile was lost")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "someone else's\n")
    }

    @Test func aTimedHoldSaysThisPidAndItsTime() throws {
        let (events, status) = try Self.hold(PinHold(seconds: 0.05))
        #expect(events == [.holding(pid: getpid(), seconds: 0.05), .released(range: "anon:1 MiB", why: "hold time over")])
        #expect(status == ExitStatus.ok)
    }

    /// A signal already waiting (blocked, as pinctl blocks them before pinning) ends even an
    /// endless hold at once: INT, TERM and HUP exit 0, any other 128 + its number.
    @Test(arguments: [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGPIPE])
    func aSignalEndsTheHoldWithItsStatus(_ sig: Int32) throws {
        #expect(TerminationSignals.all.contains(sig))
        let before = TerminationSignals.blockSaving()
        defer { TerminationSignals.restore(before) }
        pthread_kill(pthread_self(), sig)
        let (events, status) = try Self.hold(PinHold(seconds: nil))
        #expect(events == [.released(range: "anon:1 MiB", why: TerminationSignals.name(sig))], "no 'holding' line: a signal is waiting")
        #expect(status == (TerminationSignals.endsHoldNormally(sig) ? ExitStatus.ok : 128 + sig))
        #expect(!TerminationSignals.pending(), "the hold took the signal")
    }

    /// READY=1 (with MAINPID and the report's STATUS line) once the pin is in place, then
    /// STOPPING=1 saying why the hold ended; nothing else.
    @Test func theServiceManagerHearsReadyThenStopping() throws {
        let rx = try NotifyReceiver(path: nil, abstractName: "pinctl-hold-test-\(getpid())-\(UUID().uuidString.prefix(8))")
        let notifier = SystemdNotifier(socket: Array(rx.address.utf8))
        let (events, status) = try Self.hold(PinHold(seconds: 0, notifier: notifier))
        #expect(events == [.released(range: "anon:1 MiB", why: "hold time over")], "no warnings: \(events)")
        #expect(status == ExitStatus.ok)
        let ready = try #require(rx.receive(within: 5), "no READY=1")
        #expect(value("READY", in: ready) == "1" && value("MAINPID", in: ready) == "\(getpid())", "\(ready)")
        #expect(value("STATUS", in: ready) == "holding anon:1 MiB")
        let stopping = try #require(rx.receive(within: 5), "no STOPPING=1")
        #expect(value("STOPPING", in: stopping) == "1", "\(stopping)")
        #expect(value("STATUS", in: stopping) == "releasing anon:1 MiB (hold time over)")
        #expect(rx.receiveNow() == nil, "a third datagram")
    }

    /// A service manager that cannot be reached is one warning (at READY=1; STOPPING=1 is not
    /// tried again), never a failure.
    @Test func anUnreachableServiceManagerIsOneWarningNotAFailure() throws {
        let notifier = SystemdNotifier(socket: Array("@pinctl-hold-test-nobody-\(getpid())".utf8))
        let (events, status) = try Self.hold(PinHold(seconds: 0, notifier: notifier))
        #expect(status == ExitStatus.ok)
        #expect(events.count == 2, "\(events)")
        guard case .notifyWarning(let w) = events.first else {
            Issue.record("READY=1 was no warning: \(events)")
            return
        }
        #expect(w.contains("the supervisor was not told the pin is ready"), "\(w)")
        #expect(events.last == .released(range: "anon:1 MiB", why: "hold time over"))
    }
}

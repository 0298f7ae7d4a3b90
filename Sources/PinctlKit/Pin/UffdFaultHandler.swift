import CPinctl
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The thread that serves a userfaultfd's page faults while the range is registered: a
/// missing page gets the fill, a write to a write-protected page is reported and let through.
/// A faulting thread sleeps in the kernel until it is served, so this thread must never touch
/// the range itself, and neither may `onWriteFault`.
final class UffdFaultHandler: @unchecked Sendable {
    // Shared with the owner: immutable, atomic or behind a mutex (`thread` starts and stops
    // from the owner's side); `reported` and `buffer` are the handler thread's alone.
    let filler: UffdFiller
    private let onWriteFault: @Sendable (UInt64, UInt32) -> Void
    private let thread: StoppableThread
    private let buffer: UffdFiller.Buffer?
    private let servedCount = Atomic<UInt64>(0)
    private let writeCount = Atomic<UInt64>(0)
    private let error = Mutex<SyscallError?>(nil)
    private var reported = Set<UInt64>()

    var served: UInt64 { servedCount.load(ordering: .acquiring) }
    var writes: UInt64 { writeCount.load(ordering: .acquiring) }
    var firstError: SyscallError? { error.withLock { $0 } }

    init(filler: UffdFiller, onWriteFault: @escaping @Sendable (UInt64, UInt32) -> Void) throws(SyscallError) {
        self.filler = filler
        self.onWriteFault = onWriteFault
        thread = try StoppableThread(name: "pinctl-uffd")
        buffer = try filler.makeBuffer(size: filler.granule)
    }

    /// Starts the thread; until `stop`, it holds a reference to the handler.
    func start() throws(SyscallError) {
        try thread.start { self.run() }
    }

    /// Tells the thread to finish and joins it; safe to call when it never started.
    func stop() { thread.stop() }

    private func record(_ e: SyscallError) {
        error.withLock { if $0 == nil { $0 = e } }
    }

    private func run() {
        // struct uffd_msg is packed and 32 bytes: event at 0; for a page fault, flags at 8,
        // address at 16 and the thread ID at 24 (cpinctl_pin.c asserts the size).
        let msgSize = 32
        let batch = 16
        let msgs = UnsafeMutableRawPointer.allocate(byteCount: msgSize * batch, alignment: 8)
        defer { msgs.deallocate() }
        let uffd = filler.uffd.raw
        var fds = [pollfd(fd: uffd, events: Int16(POLLIN), revents: 0), pollfd(fd: thread.wakeup.raw, events: Int16(POLLIN), revents: 0)]
        while true {
            do throws(SyscallError) {
                _ = try systemCall("poll", "userfaultfd") { fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, 2, -1) } }
            } catch {
                return record(error)
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                return record(
                    SyscallError(
                        call: "poll", object: "userfaultfd (revents \(hex(UInt64(UInt16(bitPattern: fds[0].revents)))))", errno: EIO))
            }
            let got: Int
            do throws(SyscallError) {
                got = try systemCall("read", "userfaultfd") { read(uffd, msgs, msgSize * batch) }
            } catch {
                // EAGAIN: the fault was resolved (by the bulk fill) between poll and read.
                if error.errno == EAGAIN { continue }
                return record(error)
            }
            for i in 0..<(got / msgSize) {
                let m = msgs + i * msgSize
                guard m.load(as: UInt8.self) == UffdABI.eventPagefault else { continue }
                serve(
                    flags: m.load(fromByteOffset: 8, as: UInt64.self), address: m.load(fromByteOffset: 16, as: UInt64.self),
                    tid: m.load(fromByteOffset: 24, as: UInt32.self))
            }
        }
    }

    private func serve(flags: UInt64, address: UInt64, tid: UInt32) {
        let uffd = filler.uffd.raw
        let unit = filler.granule
        let page = address & ~(unit - 1)
        guard page >= filler.base, page - filler.base < filler.length else { return }
        if flags & UffdABI.pagefaultWP != 0 {
            // Two threads writing one page queue two messages: report the page once.
            if reported.insert(page).inserted {
                onWriteFault(page, tid)
                writeCount.add(1, ordering: .releasing)
                servedCount.add(1, ordering: .releasing)
            }
            do throws(SyscallError) {
                try UffdCalls.writeprotect(uffd, page, unit, protect: false)
            } catch {
                record(error)
                try? UffdCalls.wake(uffd, page, unit)
            }
            return
        }
        // Fill without waking, count, then wake: the writer must not see the count lag its page.
        do throws(SyscallError) {
            if let buffer { try filler.load(buffer, rangeOffset: page - filler.base, length: unit) }
            if try filler.fill(page, unit, from: buffer, dontWake: true) == 0 {
                servedCount.add(1, ordering: .releasing)
            }
        } catch {
            record(error)
        }
        // Also when the page already existed (the bulk fill got there first) or the fill failed:
        // the thread then retries its fault.
        try? UffdCalls.wake(uffd, page, unit)
    }
}

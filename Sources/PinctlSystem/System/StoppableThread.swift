import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// A named pthread that runs one body until told to stop: the body polls `wakeup` (an
/// eventfd, close-on-exec and non-blocking) beside its own descriptors and returns once it
/// is readable. `stop` makes it readable and joins the thread. Until then the thread keeps
/// the body, and whatever the body captures, alive.
package final class StoppableThread {
    package let wakeup: FileDescriptor
    private let name: String
    private var thread: pthread_t?

    /// `name` is what `ps -L` and /proc/PID/task/TID/comm show (at most 15 bytes).
    package init(name: String) throws(SyscallError) {
        self.name = name
        let fd = cpinctl_eventfd_cloexec_nonblock(0)
        guard fd >= 0 else { throw lastError("eventfd", "\(name) wake-up") }
        wakeup = FileDescriptor(raw: fd, path: "eventfd")
    }

    private final class Body {
        let run: () -> Void
        let name: String
        let mask: sigset_t
        /// Written once the thread blocks what its creator blocks.
        let started: FileDescriptor
        init(_ run: @escaping () -> Void, name: String, mask: sigset_t, started: FileDescriptor) {
            self.run = run
            self.name = name
            self.mask = mask
            self.started = started
        }
    }

    /// Starts the thread running `body`, and returns once the thread has its creator's
    /// signal mask (TerminationSignals.catchingLibcSignals).
    package func start(_ body: @escaping () -> Void) throws(SyscallError) {
        precondition(thread == nil, "\(name) is already running")
        let raw = cpinctl_eventfd_cloexec_nonblock(0)
        guard raw >= 0 else { throw lastError("eventfd", "\(name) start") }
        let started = FileDescriptor(raw: raw, path: "eventfd")
        thread = try TerminationSignals.catchingLibcSignals { () throws(SyscallError) -> pthread_t in
            var t = pthread_t()
            let mask = TerminationSignals.currentMask()
            let context = Unmanaged.passRetained(Body(body, name: name, mask: mask, started: started)).toOpaque()
            let rc = pthread_create(
                &t, nil,
                { context in
                    let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
                    // glibc starts a thread with its own two signals (32, 33) unblocked
                    // whatever the creator's mask: the creator's mask exactly, or `kill -32`
                    // would end the process here, pins and files left behind, instead of
                    // reaching the main thread's wait.
                    TerminationSignals.restore(body.mask)
                    var one: UInt64 = 1
                    _ = withUnsafeBytes(of: &one) { Glibc.write(body.started.raw, $0.baseAddress, 8) }
                    _ = cpinctl_name_this_thread(body.name)
                    body.run()
                    return nil
                }, context)
            // glibc's first pthread_create of a process unblocks its two signals in the caller
            // too: its mask put back as it was (TerminationSignals).
            TerminationSignals.restore(mask)
            guard rc == 0 else {
                Unmanaged<Body>.fromOpaque(context).release()
                throw SyscallError(call: "pthread_create", object: name, errno: rc)
            }
            // Until the thread has blocked them, a signal may land in it.
            var p = pollfd(fd: started.raw, events: Int16(POLLIN), revents: 0)
            _ = try? systemCall("poll", name) { poll(&p, 1, -1) }
            return t
        }
        // Named here as well as by the thread itself, so that the name is there as soon as
        // start returns (tests and `ps -L` look for it).
        if let t = thread { _ = cpinctl_name_thread(t, name) }
    }

    /// Tells the body to return and joins the thread; safe to call twice, or never started.
    package func stop() {
        guard let t = thread else { return }
        var one: UInt64 = 1
        // An eventfd write only fails when the counter would overflow: a wake-up is pending anyway.
        _ = withUnsafeBytes(of: &one) { Glibc.write(wakeup.raw, $0.baseAddress, 8) }
        pthread_join(t, nil)
        thread = nil
    }
}

import Foundation
import Synchronization
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// Byte `i` of a memory address.
private func byte(_ address: UInt64, _ i: UInt64 = 0) -> UnsafeMutablePointer<UInt8> {
    UnsafeMutablePointer<UInt8>(bitPattern: UInt(address + i))!
}

/// A value shared between test threads. A `Mutex` captured by escaping closures is boxed,
/// and ThreadSanitizer reports each `withLock` as a racing modify of that box; a class's
/// `let` is never tracked as an access, so the lock alone orders the threads.
private final class Shared<Value>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: sending Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout sending Value) -> sending R) -> sending R { mutex.withLock(body) }
}

/// Starts `body` on a new thread; the semaphore is signalled when it returns.
private func startThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    return done
}

/// Runs `body` on a new thread; true when it returned within `seconds`. A thread stuck in a
/// userfaultfd fault is freed when the range is released, so a failing test still ends.
private func onThread(timeout seconds: Double = 5, _ body: @escaping @Sendable () -> Void) -> Bool {
    startThread(body).wait(timeout: .now() + seconds) == .success
}

/// The kernel's id of the calling thread, from /proc/thread-self -> "PID/task/TID".
private func currentTID() -> UInt32 {
    let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
    return UInt32(link.split(separator: "/").last ?? "") ?? 0
}

/// The VmFlags of the mapping that starts at `base` ("um" = uffd MISSING, "uw" = uffd WP).
private func vmFlags(at base: UInt64) -> [String] {
    // Foundation stops after the first read of a /proc file; readProcText reads to the end.
    guard let text = try? readProcText("/proc/self/smaps") else { return [] }
    let head = String(base, radix: 16) + "-"
    var inside = false
    for line in text.split(separator: "\n") {
        if line.hasPrefix(head) {
            inside = true
        } else if inside && line.hasPrefix("VmFlags:") {
            return line.split(separator: " ").dropFirst().map(String.init)
        }
    }
    return []
}

/// userfaultfd descriptors and handler threads of this process, at one look.
private func uffdCounts() -> (fds: Int, threads: Int) {
    let fm = FileManager.default
    let fds = ((try? fm.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
        (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == "anon_inode:[userfaultfd]"
    }
    let threads = ((try? fm.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).filter {
        (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8)) == "pinctl-uffd\n"
    }
    return (fds.count, threads.count)
}

/// True when no userfaultfd or handler thread is left. Other suites run alongside and may
/// hold a userfaultfd for a moment (pin --dry-run's probe), so a few looks are taken.
private func noUffdLeft() -> Bool {
    for _ in 0..<20 {
        if uffdCounts() == (0, 0) { return true }
        usleep(10_000)
    }
    return false
}

private let page4K: UInt64 = 4096
private let presentBit: UInt64 = 1 << 63
private let uffdWPBit: UInt64 = 1 << 57

private func progress(_ bytes: UInt64, stopAfter steps: Int = .max) -> PinProgress {
    let calls = Shared(0)
    return PinProgress(label: "uffd", total: bytes, toTTY: false) {
        calls.withLock {
            $0 += 1
            return $0 > steps
        }
    }
}

@Suite(
    .serialized,
    .enabled(
        if: isRoot,
        "live userfaultfd tests need root: the plain syscall wants CAP_SYS_PTRACE (vm.unprivileged_userfaultfd is 0 by default), /dev/userfaultfd is 0600 root, and PFNs in pagemap need CAP_SYS_ADMIN"
    ))
struct UffdPinTests {
    @Test(arguments: [false, true])
    func zeroFillMakesEveryPagePresentAndZero(write: Bool) throws {
        let size: UInt64 = 8 << 20
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .zero, watchWrites: false)
        try pin.pin(range, write: write, progress: progress(size))
        defer { pin.release() }
        let pages = Int(size / page4K)
        let map = RawProc.pagemap(getpid(), range.base, pages: pages)
        #expect(map.allSatisfy { $0 & presentBit != 0 }, "every page is present after the bulk fill")
        let words = UnsafeBufferPointer(start: UnsafePointer<UInt64>(bitPattern: UInt(range.base)), count: Int(size / 8))
        #expect(words.allSatisfy { $0 == 0 })
        let pfns = Set(map.map { $0 & ((1 << 55) - 1) })
        if write {
            // UFFDIO_COPY of zeros: a private page each.
            #expect(pfns.count == pages)
            #expect(pin.detail.contains("UFFDIO_COPY of zeros"))
        } else {
            // UFFDIO_ZEROPAGE maps the one shared zero page everywhere.
            #expect(pfns.count == 1)
            #expect(pin.detail.contains("UFFDIO_ZEROPAGE"))
        }
        #expect(pin.detail.contains("userfaultfd(2)"))
        #expect(pin.faultsServed == 0)
    }

    @Test func byteFillSetsEveryByte() throws {
        let size: UInt64 = 4 << 20
        let range = try MappedRange(.anon(size: size, thp: true, hugetlb: false), write: true)
        let pin = UffdPin(fill: .byte(0xAB), watchWrites: false)
        try pin.pin(range, write: true, progress: progress(size))
        defer { pin.release() }
        #expect(RawProc.pagemap(getpid(), range.base, pages: Int(size / page4K)).allSatisfy { $0 & presentBit != 0 })
        var wrong = 0
        for i in stride(from: 0, to: size, by: 509) where byte(range.base, i).pointee != 0xAB { wrong += 1 }
        for p in stride(from: UInt64(0), to: size, by: Int(page4K)) {
            if byte(range.base, p).pointee != 0xAB || byte(range.base, p + page4K - 1).pointee != 0xAB { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(pin.detail.contains("UFFDIO_COPY of 0xAB"))
    }

    @Test func fileFillCopiesTheFileThenZeros() throws {
        let path = NSTemporaryDirectory() + "pinctl-uffd-fill-\(getpid())"
        let content = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7 % 251 + 1) }
        try Data(content).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let size: UInt64 = 64 << 10
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .file(path), watchWrites: false)
        try pin.pin(range, write: false, progress: progress(size))
        defer { pin.release() }
        let got = Array(UnsafeBufferPointer(start: byte(range.base), count: Int(size)))
        #expect(Array(got.prefix(content.count)) == content)
        #expect(got.dropFirst(content.count).allSatisfy { $0 == 0 })
        #expect(pin.detail.contains("UFFDIO_COPY from \(path)"))
    }

    @Test func missingFillFileIsInvalidInputNamingIt() throws {
        let range = try MappedRange(.anon(size: 64 << 10, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .file("/nonexistent/pinctl-fill"), watchWrites: false)
        #expect {
            try pin.pin(range, write: false, progress: progress(range.length))
        } throws: { e in
            guard case .invalidInput(let m) = e as? PinctlError else { return false }
            return m.contains("/nonexistent/pinctl-fill")
        }
        #expect(noUffdLeft(), "\(uffdCounts())")
    }

    @Test(arguments: [UffdFill.zero, .byte(0x5C)])
    func memfdRangeIsFilled(fill: UffdFill) throws {
        let size: UInt64 = 8 << 20
        let range = try MappedRange(.memfd(size: size), write: true)
        let pin = UffdPin(fill: fill, watchWrites: false)
        try pin.pin(range, write: true, progress: progress(size))
        defer { pin.release() }
        let want: UInt8 = fill == .zero ? 0 : 0x5C
        #expect(RawProc.pagemap(getpid(), range.base, pages: Int(size / page4K)).allSatisfy { $0 & presentBit != 0 })
        var wrong = 0
        for i in stride(from: 0, to: size, by: 1021) where byte(range.base, i).pointee != want { wrong += 1 }
        #expect(wrong == 0)
        #expect(vmFlags(at: range.base).contains("um"))
        if fill == .zero {
            // Unlike anonymous memory, shmem gets a zeroed page of its own from UFFDIO_ZEROPAGE.
            #expect(pin.detail.contains("UFFDIO_ZEROPAGE (zeroed shmem pages)"))
            let pfns = Set(RawProc.pagemap(getpid(), range.base, pages: Int(size / page4K)).map { $0 & ((1 << 55) - 1) })
            #expect(pfns.count == Int(size / page4K))
        }
    }

    @Test func existingShmDataIsKeptAndMapped() throws {
        let name = "pinctl-uffd-test-\(getpid())"
        let path = "/dev/shm/\(name)"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        try #require(fd >= 0)
        defer { unlink(path) }
        let old = [UInt8](repeating: 0xEE, count: Int(2 * page4K))
        #expect(pwrite(fd, old, old.count, off_t(4 * page4K)) == old.count)
        close(fd)
        let size: UInt64 = 16 * page4K
        let range = try MappedRange(.shm(name: name, size: size), write: true)
        let pin = UffdPin(fill: .byte(0x11), watchWrites: false)
        try pin.pin(range, write: false, progress: progress(size))
        defer { pin.release() }
        #expect(RawProc.pagemap(getpid(), range.base, pages: 16).allSatisfy { $0 & presentBit != 0 }, "kept pages are mapped too")
        for p in 0..<UInt64(16) {
            #expect(byte(range.base, p * page4K + 5).pointee == (p == 4 || p == 5 ? 0xEE : 0x11), "page \(p)")
        }
        #expect(pin.detail.contains("2 already present and kept"))
    }

    @Test func hugetlbRangeIsFilledByHugePages() throws {
        let hugetlb = try HugetlbReservation(pages: 2)
        defer { hugetlb.release() }
        let size: UInt64 = 4 << 20
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: true), write: true)
        let seen = Shared<[UInt64]>([])
        let pin = UffdPin(fill: .byte(0x3C), watchWrites: true) { page, _ in seen.withLock { $0.append(page) } }
        try pin.pin(range, write: true, progress: progress(size))
        defer { pin.release() }
        #expect(RawProc.pagemap(getpid(), range.base, pages: Int(size / page4K)).allSatisfy { $0 & presentBit != 0 })
        #expect(byte(range.base).pointee == 0x3C && byte(range.base, size - 1).pointee == 0x3C)
        #expect(pin.detail.contains("2 pages of 2 MiB filled by UFFDIO_COPY of 0x3C"))
        // A write anywhere in a huge page is reported at the huge page's start.
        let base = range.base
        #expect(onThread { byte(base, (2 << 20) + 12345).pointee = 1 })
        #expect(pin.writeFaults == 1)
        #expect(seen.withLock { $0 } == [base + (2 << 20)])
        #expect(byte(base, (2 << 20) + 12345).pointee == 1 && byte(base, (2 << 20) + 12344).pointee == 0x3C)
    }

    @Test func fileBackedRangeIsRefused() throws {
        let path = NSTemporaryDirectory() + "pinctl-uffd-file-\(getpid())"
        try Data(repeating: 1, count: 64 << 10).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let range = try MappedRange(.file(path: path, offset: 0, length: nil), write: false)
        let pin = UffdPin(fill: .zero, watchWrites: false)
        #expect {
            try pin.pin(range, write: false, progress: progress(range.length))
        } throws: { e in
            guard case .refused(let m) = e as? PinctlError else { return false }
            return m.contains("--method mlock")
        }
        #expect(noUffdLeft(), "\(uffdCounts())")
    }

    @Test func watchedWritesAreReportedOncePerPageAndComplete() throws {
        let size: UInt64 = 64 * page4K
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let seen = Shared<[(page: UInt64, tid: UInt32)]>([])
        let pin = UffdPin(fill: .byte(1), watchWrites: true) { page, tid in seen.withLock { $0.append((page, tid)) } }
        try pin.pin(range, write: true, progress: progress(size))
        defer { pin.release() }
        #expect(RawProc.pagemap(getpid(), range.base, pages: 64).allSatisfy { $0 & uffdWPBit != 0 }, "the whole range is write-protected")
        #expect(vmFlags(at: range.base).contains("uw"))

        let written: [UInt64] = [3, 17, 40].map { range.base + $0 * page4K }
        let writer = Shared<UInt32>(0)
        let finished = onThread {
            writer.withLock { $0 = currentTID() }
            for (i, page) in written.enumerated() {
                byte(page, 100).pointee = UInt8(0x10 + i)
                byte(page, 101).pointee = 0x55  // a second write to the page: no second fault
            }
        }
        #expect(finished, "the writes completed")
        let reports = seen.withLock { $0 }
        #expect(reports.map(\.page) == written)
        #expect(reports.allSatisfy { $0.tid == writer.withLock { $0 } && $0.tid != 0 })
        #expect(pin.writeFaults == 3)
        for (i, page) in written.enumerated() { #expect(byte(page, 100).pointee == UInt8(0x10 + i)) }
        let map = RawProc.pagemap(getpid(), range.base, pages: 64)
        for (i, e) in map.enumerated() {
            let isWritten = written.contains(range.base + UInt64(i) * page4K)
            #expect((e & uffdWPBit == 0) == isWritten, "page \(i): uffd-wp \(e & uffdWPBit != 0)")
        }
        #expect(pin.detail.contains("registered MISSING+WP"))
    }

    @Test func faultsDuringTheBulkFillAreServedAndKept() throws {
        let size: UInt64 = 8 << 20
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .byte(0x5A), watchWrites: false)
        // Before the first step, threads touch pages the bulk fill has not reached: only the
        // handler can let them go on. The written page must survive the bulk fill (EEXIST).
        let readers: [UInt64] = [600, 601, 1500, 2047].map { range.base + $0 * page4K }
        let writtenPage = range.base + 1000 * page4K
        let readValues = Shared<[UInt8]>([])
        var finished: [Bool] = []
        pin.beforeStep = { off in
            guard off == 0 else { return }
            var threads = readers.map { page in
                startThread {
                    let v = byte(page, 7).pointee  // faults: not under the lock
                    readValues.withLock { $0.append(v) }
                }
            }
            threads.append(startThread { byte(writtenPage, 9).pointee = 0x77 })
            let deadline = DispatchTime.now() + 5
            finished = threads.map { $0.wait(timeout: deadline) == .success }
        }
        try pin.pin(range, write: true, progress: progress(size))
        defer { pin.release() }
        #expect(finished == Array(repeating: true, count: readers.count + 1), "every faulting thread was served")
        #expect(readValues.withLock { $0 } == Array(repeating: 0x5A, count: readers.count))
        #expect(pin.faultsServed == UInt64(readers.count + 1))
        #expect(pin.handlerError == nil)
        #expect(byte(writtenPage, 9).pointee == 0x77, "the bulk fill skipped the page the writer filled")
        #expect(byte(writtenPage, 8).pointee == 0x5A)
        var wrong = 0
        for i in stride(from: 0, to: size, by: 2039) where i / page4K != 1000 && byte(range.base, i).pointee != 0x5A { wrong += 1 }
        #expect(wrong == 0)
        #expect(pin.detail.contains("5 already present"))
    }

    @Test func releaseIsIdempotentAndUnregisters() throws {
        let size: UInt64 = 4 << 20
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .zero, watchWrites: true)
        try pin.pin(range, write: false, progress: progress(size))
        #expect(vmFlags(at: range.base).contains("um"))
        #expect(uffdCounts() == (1, 1), "the fd and handler thread exist while pinned")
        let base = range.base
        #expect(onThread { byte(base).pointee = 2 })
        pin.release()
        pin.release()
        let flags = vmFlags(at: range.base)
        #expect(!flags.contains("um") && !flags.contains("uw"), "VmFlags \(flags)")
        #expect(noUffdLeft(), "\(uffdCounts())")
        #expect(pin.writeFaults == 1, "counts survive release")
    }

    @Test func interruptedFillLeavesNothingRegistered() throws {
        let size: UInt64 = 8 << 20
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .byte(9), watchWrites: false)
        #expect {
            try pin.pin(range, write: true, progress: progress(size, stopAfter: 2))
        } throws: { e in
            guard case .interrupted = e as? PinctlError else { return false }
            return true
        }
        #expect(byte(range.base).pointee == 9, "the first steps were filled")
        #expect(!vmFlags(at: range.base).contains("um"))
        #expect(noUffdLeft(), "\(uffdCounts())")
        // Still registered, this would wait forever for a handler that is gone.
        let base = range.base
        #expect(onThread { byte(base, size - 1).pointee = 3 })
        #expect(byte(range.base, size - 2).pointee == 0, "an ordinary fault, not the fill")
    }

    @Test(arguments: UffdOpenPath.allCases)
    func everyWayInOpensForRoot(path: UffdOpenPath) throws {
        let size: UInt64 = 1 << 20
        let range = try MappedRange(.anon(size: size, thp: false, hugetlb: false), write: true)
        let pin = UffdPin(fill: .byte(4), watchWrites: false)
        pin.openOrder = [path]
        try pin.pin(range, write: true, progress: progress(size))
        defer { pin.release() }
        #expect(pin.detail.hasPrefix(path.rawValue + ";"))
        #expect(byte(range.base, size - 1).pointee == 4)
    }
}

// What every fuzz target shares; compiled into each target beside its harness (scripts/check/fuzz.sh).
import Foundation

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// The fuzzer's bytes as the String a parser receives. Invalid UTF-8 is repaired the way
/// CommandLine.arguments and String(decoding:) repair it, so the parsers see what pinctl sees.
func fuzzText(_ data: UnsafePointer<UInt8>?, _ size: Int) -> String {
    guard let data, size > 0 else { return "" }
    return String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
}

/// An invariant of a parser's result. A failure stops the fuzzer like a crash, with the reason,
/// and libFuzzer saves the input as the reproducer.
func require(_ ok: Bool, _ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !ok { fatalError("fuzz invariant broken: \(what())", file: file, line: line) }
}

#if canImport(Glibc)
    import Glibc
#endif

/// An unlinked file in /tmp for what a target streams and writes, reused by every input
/// (nothing is left behind, and an input costs no file creation).
let scratch: Int32 = {
    var template = Array("/tmp/pinctl-fuzz-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0, "fuzz: no scratch file in /tmp")
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    return fd
}()

/// A descriptor that reads `bytes` from their start (the scratch file, refilled).
func fileHolding(_ bytes: [UInt8]) -> FileDescriptor {
    _ = ftruncate(scratch, 0)
    bytes.withUnsafeBytes { b in
        var off = 0
        while off < b.count {
            let n = pwrite(scratch, b.baseAddress! + off, b.count - off, off_t(off))
            precondition(n > 0, "fuzz: scratch write failed")
            off += n
        }
    }
    let fd = open("/proc/self/fd/\(scratch)", O_RDONLY | O_CLOEXEC)
    precondition(fd >= 0, "fuzz: scratch reopen failed")
    return FileDescriptor(raw: fd, path: "scratch")
}

/// What `write` writes to a descriptor (the scratch file, emptied first).
func written(_ write: (Int32) -> Void) -> [UInt8] {
    _ = ftruncate(scratch, 0)
    _ = lseek(scratch, 0, SEEK_SET)
    write(scratch)
    let n = Int(lseek(scratch, 0, SEEK_END))
    var out = [UInt8](repeating: 0, count: n)
    let got = out.withUnsafeMutableBytes { pread(scratch, $0.baseAddress, n, 0) }
    precondition(got == n, "fuzz: scratch read failed")
    return out
}

/// Bytes a terminal would act on: C0 but the newline, DEL, and C1 (UTF-8 C2 80...C2 9F).
func rawControl(in text: [UInt8]) -> Int? {
    for (i, b) in text.enumerated() {
        if (b < 0x20 && b != 0x0a) || b == 0x7f { return i }
        if b == 0xc2, i + 1 < text.count, (0x80...0x9f).contains(text[i + 1]) { return i }
    }
    return nil
}

/// `pinctl maps` as its writers stream it: text, JSON, and a JSON document that fails after
/// `failAfter` VMAs (the target gone mid-read). Each must be one line per VMA (text), a JSON
/// document with every VMA, and one with those written and `error`.
func checkMapsWriters(_ vmas: [VMAReport], failAfter: Int) {
    let head = MapsHead(pid: 1, name: "fuzz\u{1b}[2J", vmLck: 4096, vmPin: nil, vmRSS: 8192)
    let text = written { fd in
        let w = MapsTextWriter(fd: fd)
        do throws(PinctlError) {
            try w.begin(head)
            for v in vmas { try w.vma(v) }
            try w.finish()
        } catch {
            require(false, "maps text writer failed: \(error)")
        }
    }
    require(text.filter { $0 == 0x0a }.count == vmas.count + 2, "maps text is not one line per VMA")
    if let i = rawControl(in: text) {
        require(false, "maps text carries a raw control byte at \(i): \(text[max(0, i - 40)..<min(text.count, i + 40)])")
    }
    for cut in [nil, min(max(failAfter, 0), vmas.count)] as [Int?] {
        let json = written { fd in
            let w = MapsJSONWriter(fd: fd)
            do throws(PinctlError) {
                try w.begin(head)
                for v in vmas.prefix(cut ?? vmas.count) { try w.vma(v) }
                if cut == nil { try w.finish() } else { require(w.fail(.noAddressSpace("gone")), "fail after begin wrote nothing") }
            } catch {
                require(false, "maps JSON writer failed: \(error)")
            }
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            require(false, "maps --json is not a JSON object: \(String(decoding: json.suffix(200), as: UTF8.self))")
            return
        }
        require((object["vmas"] as? [Any])?.count == (cut ?? vmas.count), "maps --json lost VMAs")
        require(
            (object["error"] != nil) == (cut != nil),
            "maps --json: error member \(cut == nil ? "in a whole" : "missing from a failed") document")
        require(json.last == 0x0a && json.dropLast().allSatisfy { $0 != 0x0a }, "maps --json is not one line")
    }
}

/// What `parse` makes of `input`, or nil when it rejects it. The rejection's message and
/// exit status are made as pinctl would print them: rejecting is fine, crashing while saying
/// why is not.
func accepted<Input, T>(_ input: Input, _ parse: (Input) throws(PinctlError) -> T) -> T? {
    do {
        return try parse(input)
    } catch {
        _ = (error.description, error.exitStatus)
        return nil
    }
}

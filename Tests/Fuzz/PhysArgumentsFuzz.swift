// libFuzzer target for `phys`'s user input: --flags expressions (FlagExpression.parseOne,
// page-types -b semantics) when the first byte is even, phys targets (PhysTarget.parse) when odd.
@testable import PinctlKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPhysArguments(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let text = fuzzText(data + 1, size - 1)
    if data[0] & 1 == 0 { flagExpression(text) } else { physTarget(text) }
    return 0
}

func flagExpression(_ text: String) {
    guard let f = accepted(text, FlagExpression.parseOne) else { return }
    let bytes = Array(text.utf8)
    require(!bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f }, "accepted \(text.debugDescription)")
    let eq = bytes.firstIndex(of: UInt8(ascii: "="))
    if eq == 0 { require(f.mask == .max, "'=...' must compare every bit: \(f)") }
    if eq == nil && !bytes.contains(UInt8(ascii: "~")) { require(f.bits == .max, "a plain list is any-of: \(f)") }
    if eq == nil && bytes.contains(UInt8(ascii: "~")) {
        require(f.bits & ~f.mask == 0, "with ~, the required bits are among the compared ones: \(f)")
    }
    // The filter written back with numbers parses to itself.
    let canonical: String
    if f.bits == .max {
        canonical = "0x" + String(f.mask, radix: 16)
    } else if f.mask == .max {
        canonical = "=0x" + String(f.bits, radix: 16)
    } else {
        canonical = "0x" + String(f.mask, radix: 16) + "=0x" + String(f.bits, radix: 16)
    }
    let again = try? FlagExpression.parseOne(canonical)
    require(again == f, "'\(canonical)' parses to \(String(describing: again)), not \(f)")
    // Matching is page-types' bit_mask_ok on a few words derived from the filter.
    for w: UInt64 in [0, .max, f.mask, f.bits, f.mask & ~f.bits, f.bits ^ 1] {
        let want = f.bits == .max ? w & f.mask != 0 : w & f.mask == f.bits
        require(f.matches(w) == want, "\(f) on \(w)")
    }
    if f.bits != .max && f.bits & ~f.mask == 0 { require(f.matches(f.bits), "\(f) rejects its own bits") }
}

func physTarget(_ text: String) {
    guard let t = accepted(text, PhysTarget.parse) else { return }
    if case .frames(let start, let count) = t {
        require(count > 0, "\(text.debugDescription): an empty range")
        let end = start.addingReportingOverflow(count)
        require(!end.overflow && end.partialValue <= 1 << 55, "\(text.debugDescription): frames past 2^55")
    }
    let again = try? PhysTarget.parse(t.description)
    require(again == t, "'\(t.description)' parses to \(String(describing: again)), not \(t)")
}

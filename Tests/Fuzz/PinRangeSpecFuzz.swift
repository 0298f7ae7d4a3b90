// libFuzzer target for PinRangeSpec.parse: `pin` and `module bench` ranges as typed by a user.
@testable import PinctlKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPinRangeSpec(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    guard let spec = accepted(text, PinRangeSpec.parse) else { return 0 }
    _ = spec.description
    let page = PagemapReader.pageSize
    // A parsed range, written back in the canonical form (decimal byte counts), parses to itself.
    let canonical: String?
    switch spec {
    case .anon(let bytes, let thp, let hugetlb, let noTHP):
        require([thp, hugetlb, noTHP].filter { $0 }.count <= 1, "\(spec): more than one of thp, hugetlb, nothp")
        let align = thp || hugetlb ? PinRangeSpec.hugeSize : page
        require(bytes > 0 && bytes % align == 0, "\(spec): size \(bytes) is zero or not a multiple of \(align)")
        canonical = "anon:\(bytes)" + (thp ? ",thp" : "") + (hugetlb ? ",hugetlb" : "") + (noTHP ? ",nothp" : "")
    case .memfd(let bytes):
        require(bytes > 0 && bytes % page == 0, "\(spec): size \(bytes) is zero or not page-aligned")
        canonical = "memfd:\(bytes)"
    case .shm(let name, let bytes):
        require(
            !name.isEmpty && !name.utf8.contains(UInt8(ascii: "/")) && name != "." && name != "..",
            "shm name '\(name)' is not one file name")
        require(bytes > 0 && bytes % page == 0, "\(spec): size \(bytes) is zero or not page-aligned")
        canonical = "shm:\(name):\(bytes)"
    case .file(let path, let offset, let length):
        require(!path.isEmpty, "file range with an empty path")
        require(offset % page == 0, "file offset \(offset) is not page-aligned")
        if let length {
            let end = offset.addingReportingOverflow(length)
            require(length > 0 && length % page == 0, "file length \(length) is zero or not page-aligned")
            require(!end.overflow, "file offset \(offset) + length \(length) overflows")
        }
        // Paths with the separators (or a future escape character) have no canonical form here.
        canonical =
            path.utf8.contains(where: { "+@\\%".utf8.contains($0) })
            ? nil : "file:\(path)@\(offset)" + (length.map { "+\($0)" } ?? "")
    }
    if let canonical {
        let again = try? PinRangeSpec.parse(canonical)
        require(again == spec, "'\(canonical)' parses to \(String(describing: again)), not \(spec)")
    }
    return 0
}

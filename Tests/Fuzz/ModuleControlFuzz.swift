// libFuzzer target for ModuleControl.decompressor(for:): which tool decompresses a module
// file before finit_module, decided from its name as the kernel and kmod see it (bytes).
@testable import PinctlKernel

let compressedSuffixes: [(suffix: String, tool: String)] = [(".ko.xz", "xz"), (".ko.zst", "zstd"), (".ko.gz", "gzip")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModuleControl(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = fuzzText(data, size)
    let tool = ModuleControl.decompressor(for: path)
    let bytes = Array(path.utf8)
    let bySuffix = compressedSuffixes.first {
        bytes.count >= $0.suffix.utf8.count && bytes.suffix($0.suffix.utf8.count).elementsEqual($0.suffix.utf8)
    }
    require(
        tool == bySuffix?.tool,
        "'\(path)' (\(bytes.suffix(8).map { String($0, radix: 16) })) gets \(String(describing: tool)), its bytes say \(String(describing: bySuffix?.tool))"
    )
    return 0
}

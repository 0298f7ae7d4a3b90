// libFuzzer target for the numbers users type: addresses, sizes, durations (--hold-for),
// iteration counts (--iterations) and kpageflags names, all from NumberParsing and its callers.
@testable import PinctlKernel
@testable import PinctlKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumberParsing(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = fuzzText(data, size)
    let sub = Substring(text)

    if let v = NumberParsing.parseUInt64(sub) {
        require(NumberParsing.parseUInt64(Substring(String(v))) == v, "'\(text)' -> \(v) does not round-trip in decimal")
        require(NumberParsing.parseUInt64(Substring(hex(v))) == v, "'\(text)' -> \(v) does not round-trip as \(hex(v))")
        // Every number is a size too, in bytes.
        require(NumberParsing.parseSize(sub) == v, "'\(text)' is \(v) but not the size \(v)")
    }
    if let v = NumberParsing.parseSize(sub) {
        require(NumberParsing.parseSize(Substring(String(v))) == v, "size '\(text)' -> \(v) does not round-trip")
        if v % 1024 == 0 {
            require(NumberParsing.parseSize(Substring("\(v >> 10)K")) == v, "size '\(text)' -> \(v) is not \(v >> 10)K")
        }
        _ = humanBytes(v)
    }
    if let v = NumberParsing.parseHex(text) {
        require(NumberParsing.parseHex(String(v, radix: 16)) == v, "hex '\(text)' -> \(v) does not round-trip")
    }
    if let seconds = NumberParsing.parseDuration(text) {
        require(seconds.isFinite && seconds >= 0 && seconds <= 366 * 86400, "duration '\(text)' -> \(seconds) s")
    }
    do {
        let n = try KernelBench.parseIterations(text)
        require((1...KernelBench.maxIterations).contains(n), "--iterations '\(text)' -> \(n)")
    } catch {
        _ = error.description
    }
    if let bit = KPageFlags.bit(named: text) {
        require((0..<64).contains(bit), "kpageflags name '\(text)' -> bit \(bit)")
        let name = KPageFlags(bit: bit).names.first ?? ""
        require(KPageFlags.bit(named: name) == bit, "kpageflags bit \(bit) is named '\(name)', which is not bit \(bit)")
    }
    return 0
}

// What every fuzz target shares; compiled into each target beside its harness (scripts/fuzz.sh).

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

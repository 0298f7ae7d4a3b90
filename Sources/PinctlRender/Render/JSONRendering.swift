import FoundationEssentials

/// The `--json` form of any report: sorted keys so output diffs cleanly; C1 and bidi
/// controls escaped as C0 is (TerminalEscaping.escapeJSON).
public func renderJSON<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try enc.encode(value)
    return TerminalEscaping.escapeJSON(String(decoding: data, as: UTF8.self))
}

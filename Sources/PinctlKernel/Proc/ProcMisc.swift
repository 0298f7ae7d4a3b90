/// /proc/misc: the misc devices (major 10) the running kernel registered, "MINOR NAME" a
/// line. The census classifies device fds by it, and the kernel-helper client finds its
/// own device's minor in it.
package enum ProcMisc {
    package static let path = "/proc/misc"
    package static let major: UInt32 = 10

    /// (minor, name) for each well-formed line; others are left out.
    package static func parse(_ bytes: [UInt8]) -> [(minor: UInt32, name: String)] {
        let t = ProcText(bytes: bytes)
        var out: [(minor: UInt32, name: String)] = []
        try? t.forEachLine { line in
            var rest = line
            guard let first = t.nextField(&rest), let n = t.number(first, radix: 10), let minor = UInt32(exactly: n),
                let name = t.nextField(&rest)
            else { return }
            out.append((minor, t.string(name)))
        }
        return out
    }
}

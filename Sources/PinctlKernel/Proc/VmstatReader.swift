#if canImport(Glibc)
    import Glibc
#endif

/// The machine-wide FOLL_PIN counters of /proc/vmstat (mm/gup.c counts every pin and unpin
/// of a page reference). Their difference is what is pinned now.
public struct FollPinCounters: Codable, Sendable, Equatable {
    public var acquired: UInt64
    public var released: UInt64

    /// Pins outstanding now, in page references. The per-CPU deltas can make it read
    /// slightly negative without a stat_refresh first; it is clamped at 0.
    public var outstanding: UInt64 { acquired >= released ? acquired - released : 0 }
}

/// Reads /proc/vmstat's FOLL_PIN counters, after folding the per-CPU deltas in.
public enum VmstatReader {
    public static let path = "/proc/vmstat"
    public static let refreshPath = "/proc/sys/vm/stat_refresh"

    /// The counters in vmstat text; nil when the kernel prints neither (before 5.7).
    public static func parse(_ bytes: [UInt8]) -> FollPinCounters? {
        let t = ProcText(bytes: bytes)
        var acquired: UInt64?
        var released: UInt64?
        try? t.forEachLine { line in
            var rest = line
            guard let name = t.nextField(&rest), let value = t.nextField(&rest) else { return }
            if t.equals(name, "nr_foll_pin_acquired") {
                acquired = t.number(value, radix: 10)
            } else if t.equals(name, "nr_foll_pin_released") {
                released = t.number(value, radix: 10)
            }
        }
        guard let acquired, let released else { return nil }
        return FollPinCounters(acquired: acquired, released: released)
    }

    /// Writes 1 to /proc/sys/vm/stat_refresh so vmstat shows exact totals (root only);
    /// the error when it could not.
    public static func refresh() -> SyscallError? {
        do throws(SyscallError) {
            let fd = try FileDescriptor.open(refreshPath, flags: O_WRONLY | O_NOFOLLOW)
            var one: UInt8 = UInt8(ascii: "1")
            _ = try systemCall("write", refreshPath) { Glibc.write(fd.raw, &one, 1) }
            return nil
        } catch {
            return error
        }
    }

    public static func read() throws(SyscallError) -> FollPinCounters? {
        parse(try ProcFileReader.bytes(path))
    }
}

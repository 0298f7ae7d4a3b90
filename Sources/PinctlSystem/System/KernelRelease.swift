#if canImport(Glibc)
    import Glibc
#endif

/// The running kernel's release (`uname -r`), which decides what its /proc and /sys files
/// mean and which pinctl module fits; empty when uname fails.
public enum KernelRelease {
    public static func current() -> String {
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        return withUnsafeBytes(of: u.release) { b in
            String(decoding: b.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

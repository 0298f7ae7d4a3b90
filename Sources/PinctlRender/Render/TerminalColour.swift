#if canImport(Glibc)
    import Glibc
#endif

/// Whether output to `fd` may carry colour: a terminal, not TERM=dumb, and no NO_COLOR
/// (no-color.org), so pipes, logs and tests get plain text.
public func terminalWantsColour(fd: Int32 = 1) -> Bool {
    guard isatty(fd) == 1 else { return false }
    if let v = getenv("NO_COLOR"), v.pointee != 0 { return false }
    if let t = getenv("TERM"), String(cString: t) == "dumb" { return false }
    return true
}

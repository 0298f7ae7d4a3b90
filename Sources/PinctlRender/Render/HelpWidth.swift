#if canImport(Glibc)
    import Glibc
#endif

/// The width swift-argument-parser lays help and usage out to: `$COLUMNS` when it is a
/// number, else the terminal's (TIOCGWINSZ on stdout). Its wrapping leaves the description
/// column `width - 28` characters; narrower than that, a debug build traps (an assertion
/// that `columns - wrappingIndent` is positive: `COLUMNS=20 pinctl --help` died with SIGILL)
/// and a release build prints the help with its text left out. pinctl lays out to at least
/// `minimum` columns instead: lines longer than a narrow terminal wrap there, as any
/// command's do.
public enum HelpWidth {
    public static let minimum = 40

    /// The `COLUMNS` value to set before the arguments are parsed, or nil when the width
    /// the parser will take is wide enough (or unknown: it then lays out to 80).
    public static func override(columns: String?, terminalWidth: () -> Int?) -> String? {
        let width = columns.flatMap { Int($0) } ?? terminalWidth()
        guard let width, width < minimum else { return nil }
        return String(minimum)
    }

    /// Sets `COLUMNS` to `minimum` in this process's environment when the width the parser
    /// would take is narrower (pinctl's only child, `module load`'s xz, ignores it).
    public static func widenForHelp() {
        let columns = getenv("COLUMNS").map { String(cString: $0) }
        if let value = override(columns: columns, terminalWidth: terminalWidth) { setenv("COLUMNS", value, 1) }
    }

    /// The terminal's width on stdout, as the parser reads it (nil when stdout is no
    /// terminal or reports 0 columns).
    public static func terminalWidth() -> Int? {
        var w = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0, w.ws_col > 0 else { return nil }
        return Int(w.ws_col)
    }
}

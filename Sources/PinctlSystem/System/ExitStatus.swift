/// pinctl's exit statuses, one table for every command: `pinctl --help` and pinctl(1) print
/// `table`. Degraded reports (printed, but with fields the kernel hid) exit non-zero too, so
/// scripts cannot mistake them for full ones.
public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let failure: Int32 = 1
    public static let invalidInput: Int32 = 2
    public static let processNotFound: Int32 = 3
    public static let permissionDenied: Int32 = 4
    public static let notMapped: Int32 = 5
    /// The report was printed, but pagemap hid PFNs (the reader lacks CAP_SYS_ADMIN).
    public static let pfnHidden: Int32 = 6
    /// The report was printed, but /proc/kpageflags (or kpagecount) could not be read.
    public static let pageFlagsUnavailable: Int32 = 7
    /// The kernel refused to pin the range (mapping type, RLIMIT_MEMLOCK, permissions).
    public static let refused: Int32 = 8
    /// `pinctl files`: the report was printed, but some paths could not be examined (each
    /// named on stderr: permissions, vanished or replaced during the walk, a lease). `pin
    /// file:DIR`: some files could not be opened (each named), and nothing is held.
    public static let incomplete: Int32 = 9
    /// A termination signal arrived before the pin was in place (128 + SIGINT, as shells
    /// report it); a signal other than INT, TERM or HUP that ends a hold exits 128 + its number.
    public static let interrupted: Int32 = 130
    /// The command line itself is wrong: ArgumentParser's status for a parse or `validate()`
    /// failure, and so the status of every option value the parser or `validate()` refuses.
    public static let usage: Int32 = 64

    /// Every status with what it means to the user, in the order help prints them (a meaning
    /// of several lines continues under its first).
    public static let table: [(status: String, meaning: String)] = [
        ("\(ok)", "success; a hold ended by its time, SIGINT, SIGTERM or SIGHUP"),
        ("\(failure)", "a system call failed, the output could not be written whole,\nor /proc is not mounted"),
        ("\(invalidInput)", "invalid input: a target, pid, size, range, path or pidfile\npinctl cannot use"),
        ("\(processNotFound)", "the process is gone, exec'd while it was read, or has no\naddress space"),
        ("\(permissionDenied)", "permission denied (ptrace access, a root-only file, another\nuser's object)"),
        ("\(notMapped)", "the address or range is not mapped"),
        ("\(pfnHidden)", "report printed, but PFNs hidden (needs CAP_SYS_ADMIN)"),
        ("\(pageFlagsUnavailable)", "report printed, but page flags unreadable (needs root)"),
        ("\(refused)", "the kernel refused the pin, or would have (the message says why)"),
        (
            "\(incomplete)",
            "files: report printed, but some paths could not be examined;\npin file:DIR: some files could not be opened, nothing held"
        ),
        (
            "\(usage)",
            "usage error: an unknown option or missing argument, an option\nvalue not among its choices or not of its form, options that\nexclude each other"
        ),
        ("\(interrupted)", "a termination signal arrived while pinning; all was released"),
        ("128+N", "signal N (not SIGINT, SIGTERM, SIGHUP) ended a hold or census\n--watch; all was released"),
    ]

    /// `table` as help text: the statuses in a column, each meaning beside its status.
    public static var tableText: String {
        let width = (table.map(\.status.count).max() ?? 0) + 4
        return table.map { row in
            let lines = row.meaning.split(separator: "\n")
            let first = "  " + row.status + String(repeating: " ", count: width - 2 - row.status.count) + lines[0]
            return ([first] + lines.dropFirst().map { String(repeating: " ", count: width) + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}

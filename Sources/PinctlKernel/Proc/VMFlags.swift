/// The two-letter VmFlags codes of /proc/PID/smaps (fs/proc/task_mmu.c, show_smap_vma_flags),
/// with what each means. Unknown codes are kept and shown as they are.
public enum VMFlags {
    public static let meanings: [String: String] = [
        "rd": "readable", "wr": "writable", "ex": "executable", "sh": "shared",
        "mr": "may-read", "mw": "may-write", "me": "may-exec", "ms": "may-share",
        "gd": "grows-down", "pf": "pfn-map", "dw": "deny-write", "lo": "locked",
        "io": "io-memory", "sr": "seq-read", "rr": "random-read", "dc": "dont-copy-on-fork",
        "de": "dont-expand", "ac": "accounted", "nr": "no-swap-reserve", "ht": "hugetlb",
        "sf": "sync-fault", "nl": "non-linear", "ar": "arch-specific", "wf": "wipe-on-fork",
        "dd": "dont-dump", "bt": "arm64-bti", "sd": "soft-dirty", "mm": "mixed-map",
        "hg": "thp-advised", "nh": "no-thp", "mg": "ksm-mergeable", "mt": "arm64-mte",
        "um": "uffd-missing", "uw": "uffd-wp", "ui": "uffd-minor", "ss": "shadow-stack",
        "sl": "sealed", "lf": "lock-on-fault", "dp": "droppable", "gu": "guard-regions",
        "??": "unknown-to-this-kernel",
    ]

    /// Codes that matter when asking why memory will or won't move, pin or reclaim.
    public static let pinRelevant: Set<String> = ["lo", "lf", "io", "pf", "um", "uw", "ui", "hg", "nh", "mg", "ht", "dc", "sh", "mm"]

    /// "lo" -> "locked"; an unknown code stays itself.
    public static func word(_ code: String) -> String { meanings[code] ?? code }
}

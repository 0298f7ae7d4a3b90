import CPinctl

/// File systems whose files are the kernel's controls and views, not data: none has page
/// cache to count or lock, and opening or closing a file there can act (closing tracefs's
/// free_buffer frees a trace ring buffer; autofs mounts what is looked up). A page-cache
/// walk and file: pins never open a file on one. Known by statfs(2)'s f_type, which the
/// kernel answers from the mount without asking the file system's files.
public enum PseudoFileSystem {
    /// f_type (<linux/magic.h>) and the name messages use.
    static let names: [Int64: String] = [
        0x9fa0: "procfs", 0x6265_6572: "sysfs", 0x7472_6163: "tracefs", 0x6462_6720: "debugfs",
        0x6265_6570: "configfs", 0x0027_e0eb: "cgroupfs", 0x6367_7270: "cgroup2fs", 0x7363_6673: "securityfs",
        0xcafe_4a11: "bpffs", 0x6165_676c: "pstore", 0xde5e_81e4: "efivarfs", 0x6573_5543: "fusectl",
        0x1cd1: "devpts", 0x1980_0202: "mqueue", 0xf97c_ff8c: "selinuxfs", 0x4341_5d53: "smackfs",
        0x4249_4e4d: "binfmt_misc", 0x6e73_6673: "nsfs", 0x0187: "autofs", 0x9fa2: "usbfs", 0x0765_5821: "resctrl",
    ]

    /// The pseudo file system holding `fd`'s file, or nil for one with data.
    public static func holding(fd: Int32) -> String? { names[cpinctl_fd_fs_magic(fd)] }

    /// The pseudo file system holding `path` (links followed), or nil.
    public static func holding(path: String) -> String? { names[cpinctl_fs_magic(path)] }

    /// mountinfo's type names of the same file systems, for a mount point seen in
    /// /proc/self/mountinfo before anything on it is opened (autofs mounts on a lookup).
    static let mountTypes: [String: String] = [
        "proc": "procfs", "sysfs": "sysfs", "tracefs": "tracefs", "debugfs": "debugfs", "configfs": "configfs",
        "cgroup": "cgroupfs", "cgroup2": "cgroup2fs", "securityfs": "securityfs", "bpf": "bpffs", "pstore": "pstore",
        "efivarfs": "efivarfs", "fusectl": "fusectl", "devpts": "devpts", "mqueue": "mqueue", "selinuxfs": "selinuxfs",
        "smackfs": "smackfs", "binfmt_misc": "binfmt_misc", "nsfs": "nsfs", "autofs": "autofs", "usbfs": "usbfs",
        "resctrl": "resctrl",
    ]

    /// The pseudo file system a mountinfo type names, or nil for one with data.
    public static func named(mountType: String) -> String? { mountTypes[mountType] }

    /// "on tracefs, ...": why such a file is not opened.
    public static func reason(_ name: String) -> String {
        "on \(name), a file system of kernel controls with no page cache: not opened (opening or closing its files can act)"
    }
}

import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// `pinctl module status|load|unload`: the KernelHelper module's state, and loading it from
/// a path or from where DKMS installed it.
public enum ModuleControl {
    public static let name = "pinctl"
    /// finit_module(2)'s MODULE_INIT_COMPRESSED_FILE (Linux 5.17+).
    static let moduleInitCompressedFile: Int32 = 4

    public struct Status: Codable, Sendable {
        public var loaded: Bool
        public var device: Bool
        public var version: KernelHelperVersion?
        public var kernel: String
        /// Where DKMS (or `make install`) put a module for the running kernel, if anywhere.
        public var installedAt: String?
        /// What the module's LIST shows this caller (all of it as root); nil without LIST.
        public var held: HeldPins? = nil
        /// QUERY_FRAMES answers for frames below this PFN; nil without the feature or when
        /// this descriptor may not ask (not opened with CAP_SYS_ADMIN).
        public var framesBelowPFN: UInt64? = nil
    }

    /// The pins the module holds, as far as the caller may see them.
    public struct HeldPins: Codable, Sendable, Equatable {
        /// Open files of /dev/pinctl that hold pins.
        public var files: Int
        public var pins: Int
        public var pages: UInt64
        /// Listed with CAP_SYS_ADMIN: every file of every user.
        public var complete: Bool
    }

    public static func status() throws(PinctlError) -> Status {
        let loaded = access("/sys/module/\(name)", F_OK) == 0
        let helper = try KernelHelper.open()
        let version = try helper?.version()
        var held: HeldPins?
        var framesBelow: UInt64?
        if let helper, let version {
            if version.features.contains("list"), let l = try? helper.listPins() {
                let withPins = l.files.filter { !$0.pins.isEmpty }
                held = HeldPins(
                    files: withPins.count, pins: withPins.reduce(0) { $0 + $1.pins.count },
                    pages: withPins.reduce(0) { $0 &+ $1.pins.reduce(0) { $0 &+ $1.pages } }, complete: l.complete)
            }
            if version.features.contains("frames"), version.showsPFNs { framesBelow = try? helper.frameLimit() }
        }
        return Status(
            loaded: loaded, device: helper != nil, version: version, kernel: KernelRelease.current(),
            installedAt: installedPath(), held: held, framesBelowPFN: framesBelow)
    }

    /// DKMS installs to /lib/modules/<release>/updates/dkms; `make modules_install` to extra.
    public static func installedPath() -> String? {
        let release = KernelRelease.current()
        for dir in ["updates/dkms", "extra", "updates"] {
            for file in ["\(name).ko", "\(name).ko.xz", "\(name).ko.zst"] {
                let p = "/lib/modules/\(release)/\(dir)/\(file)"
                if access(p, R_OK) == 0 { return p }
            }
        }
        return nil
    }

    /// finit_module(2) of `path` (nil: the DKMS-installed module). The file is opened and
    /// checked first (`openModuleFile`) and loaded from that descriptor, so what is loaded is
    /// what was checked.
    public static func load(path: String?) throws(PinctlError) -> String {
        if path?.isEmpty == true {
            throw .invalidInput(
                "an empty module path: give the .ko file (pinctl module load KernelHelper/pinctl.ko), or no path for the one DKMS installed"
            )
        }
        guard let file = path ?? installedPath() else {
            throw .invalidInput(
                "no pinctl module installed for \(KernelRelease.current()): give its path (pinctl module load KernelHelper/pinctl.ko) or install it with DKMS (KernelHelper/README.md)"
            )
        }
        let module = try openModuleFile(file)
        defer { withExtendedLifetime(module) {} }
        if access("/proc/modules", F_OK) != 0 || access("/sys/module", F_OK) != 0 {
            throw .refused("this kernel has no loadable module support (CONFIG_MODULES is off): boot a kernel with it, e.g. Debian's")
        }
        // DKMS compresses the module like the kernel's own (.ko.xz on Debian's 6.12). The kernel
        // decompresses it when told to (MODULE_INIT_COMPRESSED_FILE, CONFIG_MODULE_DECOMPRESS)
        // and it can: Debian 12's dkms runs plain `xz`, whose CRC64 check the kernel's xz decoder
        // lacks (EINVAL; dmesg "decompression failed with status 6", XZ_OPTIONS_ERROR; the kernel's
        // own modules use --check=crc32). Then pinctl decompresses it in user space, as kmod's
        // insmod does, and loads that.
        let tool = decompressor(for: file)
        if cpinctl_finit_module(module.raw, "", tool == nil ? 0 : moduleInitCompressedFile) != 0 {
            var e = lastError("finit_module", file)
            if let tool, e.errno == EINVAL || e.errno == EOPNOTSUPP {
                let plain = try decompress(module.raw, file, with: tool)
                defer { withExtendedLifetime(plain) {} }
                if cpinctl_finit_module(plain.raw, "", 0) == 0 {
                    return "loaded \(file) (decompressed by \(tool): the kernel refused it compressed, \(e.errnoName))"
                }
                e = lastError("finit_module", "\(file), decompressed by \(tool)")
            }
            switch e.errno {
            case EEXIST: return "\(name) is already loaded"
            case EPERM:
                throw .permissionDenied(
                    "loading a module needs CAP_SYS_MODULE (EPERM): run as root; a locked-down kernel refuses unsigned modules")
            case ENOEXEC, EINVAL:
                throw .refused(
                    "\(file) was refused (\(e.errnoName)): it was built for another kernel than \(KernelRelease.current()): rebuild it (make -C KernelHelper)"
                )
            case ENOSYS: throw .refused("this kernel has no loadable module support (ENOSYS)")
            default: throw .system(e)
            }
        }
        return "loaded \(file)"
    }

    /// Opens the module file for finit_module(2) and refuses one root should not load: it
    /// runs in the kernel, so a file another user wrote, or can still rewrite, is their code
    /// in ring 0. Opened without blocking (a FIFO would hold root in open(2) forever) and
    /// without taking a terminal; then the descriptor, not the path, must be a regular file
    /// owned by root or the caller and writable by neither group nor others. Symbolic links
    /// are followed (a link to a module under /lib/modules is usual): what is checked is the
    /// file they reach, and that descriptor is what gets loaded, so nothing can be swapped in
    /// between. Only another user's link in a sticky world-writable directory (/tmp) is
    /// refused on the way, as for `--output` (PlantedSymlinks).
    static func openModuleFile(_ file: String) throws(PinctlError) -> FileDescriptor {
        try PlantedSymlinks.refuse(in: file, option: "module load", path: file)
        let fd: FileDescriptor
        do throws(SyscallError) {
            fd = try FileDescriptor.open(file, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
        } catch let e {
            switch e.errno {
            case ENOENT: throw .invalidInput("\(file): no such file: build the module first (make -C KernelHelper)")
            case EACCES, EPERM: throw .permissionDenied("\(file): cannot be read (\(e.errnoName)): run as root")
            case ENXIO:
                // A socket (or a device without its driver) does not open: say what it is.
                let what = (try? FileDescriptor.stat(file, flags: 0)).map { fileTypeName($0.st_mode & S_IFMT) } ?? "a socket or a device"
                throw .invalidInput(
                    "module load '\(file)': it is \(what), not a module file: give the .ko file (make -C KernelHelper builds KernelHelper/pinctl.ko)"
                )
            default: throw .system(e)
            }
        }
        let st: stat
        do throws(SyscallError) { st = try fd.stat() } catch { throw .system(error) }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else {
            throw .invalidInput(
                "module load '\(file)': it is \(fileTypeName(type)), not a module file: give the .ko file (make -C KernelHelper builds KernelHelper/pinctl.ko)"
            )
        }
        let me = geteuid()
        if st.st_uid != 0 && st.st_uid != me {
            throw .permissionDenied(
                "module load '\(file)': it belongs to uid \(st.st_uid), who could have put anything in it: load a copy root owns (install -o root -m 0644 '\(file)' DIR/pinctl.ko)"
            )
        }
        if st.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            throw .permissionDenied(
                "module load '\(file)': it is writable by \(st.st_mode & S_IWOTH != 0 ? "every user" : "group \(st.st_gid)") (mode \(String(st.st_mode & 0o7777, radix: 8))): make it writable by its owner only (chmod go-w '\(file)')"
            )
        }
        return fd
    }

    static func fileTypeName(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }

    /// The program that decompresses a module file, by its suffix; nil for a plain .ko.
    /// Compared in bytes, as the kernel and kmod read the name: on Characters, a scalar that
    /// joins the "." into its grapheme (U+0600 before ".ko.gz") hid the suffix.
    static func decompressor(for file: String) -> String? {
        for (suffix, tool) in [(".ko.xz", "xz"), (".ko.zst", "zstd"), (".ko.gz", "gzip")]
        where file.utf8.reversed().starts(with: suffix.utf8.reversed()) {
            return tool
        }
        return nil
    }

    /// `tool -dc < fd` into a memfd, for finit_module(2): the checked descriptor, not the path.
    static func decompress(_ fd: Int32, _ file: String, with tool: String) throws(PinctlError) -> FileDescriptor {
        let raw = cpinctl_memfd_create("pinctl.ko", 1 /* MFD_CLOEXEC */)
        guard raw >= 0 else { throw .system(lastError("memfd_create", file)) }
        let out = FileDescriptor(raw: raw, path: "\(file), decompressed")
        var status: Int32 = 0
        let err = withExtendedLifetime(out) { cpinctl_decompress_to_fd(tool, fd, out.raw, &status) }
        if err != 0 {
            if err == ENOENT {
                throw .refused("\(file) needs \(tool) to decompress it and \(tool) is not on PATH: install it (xz-utils, zstd or gzip)")
            }
            throw .system(SyscallError(call: "posix_spawnp", object: tool, errno: err))
        }
        // WIFEXITED && WEXITSTATUS == 0, spelt out: the macros are not imported.
        if status & 0x7f != 0 || (status >> 8) & 0xff != 0 {
            throw .refused("\(tool) -dc \(file) failed (wait status \(status)): the file is damaged: reinstall the module")
        }
        return out
    }

    public static func unload() throws(PinctlError) -> String {
        if cpinctl_delete_module(name, UInt32(O_NONBLOCK)) != 0 {
            let e = lastError("delete_module", name)
            switch e.errno {
            case ENOENT: return "\(name) is not loaded"
            case ENOSYS: return "\(name) is not loaded: this kernel has no loadable module support (CONFIG_MODULES is off)"
            case EWOULDBLOCK: throw .refused("\(name) is in use (EWOULDBLOCK): a process holds /dev/pinctl open; end it first")
            case EPERM: throw .permissionDenied("unloading a module needs CAP_SYS_MODULE (EPERM): run as root")
            default: throw .system(e)
            }
        }
        return "unloaded \(name)"
    }
}

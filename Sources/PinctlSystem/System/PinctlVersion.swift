import CPinctl

/// pinctl's version. It is written once, in KernelHelper/include/pinctl/pinctl_version.h,
/// which the module (MODULE_VERSION, the VERSION ioctl's package_version) and the Debian
/// packages (scripts/pkg/build-debs.sh) read too, so `pinctl --version`, `modinfo pinctl` and
/// `dpkg -s pinctl` cannot disagree.
public enum PinctlVersion {
    /// "MAJOR.MINOR.PATCH".
    public static let current = String(cString: CPINCTL_VERSION)

    /// The version as the VERSION ioctl's package_version carries it.
    public static let code = UInt64(CPINCTL_VERSION_CODE)

    /// "MAJOR.MINOR.PATCH" of a package_version code; nil for 0, which a module older than
    /// the field reports (the field was reserved, zero).
    public static func string(code: UInt64) -> String? {
        guard code != 0 else { return nil }
        return "\(code >> 32).\((code >> 16) & 0xffff).\(code & 0xffff)"
    }
}

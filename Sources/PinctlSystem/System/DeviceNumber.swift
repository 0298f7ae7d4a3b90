/// A dev_t split as glibc's sys/sysmacros.h splits it (gnu_dev_major, gnu_dev_minor): the
/// one decoder for st_dev and st_rdev, which the C macros do not reach from Swift.
package struct DeviceNumber: Equatable {
    package let major: UInt32
    package let minor: UInt32

    package init(_ dev: UInt64) {
        major = UInt32(truncatingIfNeeded: ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff))
        minor = UInt32(truncatingIfNeeded: (dev & 0xff) | ((dev >> 12) & ~0xff))
    }
}

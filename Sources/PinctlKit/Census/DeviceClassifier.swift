/// Kinds of character device through which a process can have the kernel pin its memory.
public enum PinningDeviceKind: String, Codable, Sendable, CaseIterable {
    /// VFIO (type1 IOMMU DMA mappings pin and charge VmLck).
    case vfio
    /// iommufd (/dev/iommu): IOAS mappings pin user pages.
    case iommufd
    /// RDMA user verbs (ib_umem pins memory regions and charges VmPin).
    case rdmaUverbs = "rdma-uverbs"
    /// V4L2 (videobuf2 USERPTR buffers are pinned at QBUF and charge nothing).
    case v4l2
    /// DRM (userptr objects of i915, amdgpu and others).
    case drm
    /// pinctl's own KernelHelper, /dev/pinctl.
    case pinctl
}

/// Names a character device (major, minor) by the driver that registered its major in
/// /proc/devices (and, for major 10, its minor in /proc/misc), so no device is opened.
public struct DeviceClassifier: Sendable {
    var majors: [UInt32: PinningDeviceKind] = [:]
    var misc: [UInt32: PinningDeviceKind] = [:]
    public static let miscMajor: UInt32 = ProcMisc.major

    public init(devices: [UInt8], misc miscText: [UInt8]) {
        for (major, name) in Self.parseDevices(devices) {
            if let kind = Self.kind(ofMajorName: name) { majors[major] = kind }
        }
        for (minor, name) in ProcMisc.parse(miscText) {
            if let kind = Self.kind(ofMiscName: name) { misc[minor] = kind }
        }
    }

    /// From the running kernel's /proc/devices and /proc/misc (an unreadable file is empty).
    public static func live() -> DeviceClassifier {
        func bytes(_ p: String) -> [UInt8] { (try? ProcFileReader.bytes(p)) ?? [] }
        return DeviceClassifier(devices: bytes("/proc/devices"), misc: bytes(ProcMisc.path))
    }

    public func classify(major: UInt32, minor: UInt32) -> PinningDeviceKind? {
        if major == Self.miscMajor { return misc[minor] }
        return majors[major]
    }

    static func kind(ofMajorName name: String) -> PinningDeviceKind? {
        switch name {
        case "vfio", "vfio-dev": return .vfio
        case "infiniband_verbs": return .rdmaUverbs
        case "video4linux": return .v4l2
        case "drm": return .drm
        default: return nil
        }
    }

    static func kind(ofMiscName name: String) -> PinningDeviceKind? {
        switch name {
        case "vfio": return .vfio
        case "iommu": return .iommufd
        case "pinctl": return .pinctl
        default: return nil
        }
    }

    /// The "Character devices:" section of /proc/devices: "  1 mem", "226 drm".
    static func parseDevices(_ bytes: [UInt8]) -> [(UInt32, String)] {
        let t = ProcText(bytes: bytes)
        var out: [(UInt32, String)] = []
        var inChar = false
        try? t.forEachLine { line in
            var rest = line
            guard let first = t.nextField(&rest) else { return }
            if t.equals(first, "Character") {
                inChar = true
                return
            }
            if t.equals(first, "Block") {
                inChar = false
                return
            }
            guard inChar, let n = t.number(first, radix: 10), let major = UInt32(exactly: n) else { return }
            let name = t.skipBlanks(rest)
            out.append((major, t.string(name)))
        }
        return out
    }
}

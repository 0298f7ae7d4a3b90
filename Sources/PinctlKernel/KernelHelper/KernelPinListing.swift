import CPinctl

#if canImport(Glibc)
    import Glibc
#endif

/// The name `KernelHelper` goes by where it is used as the module's client (`listPins()`,
/// `queryFrames(firstPFN:count:)`).
public typealias KernelHelperClient = KernelHelper

/// One pin held through /dev/pinctl, as PINCTL_IOC_LIST reports it.
public struct KernelHeldPin: Codable, Sendable, Equatable {
    /// The handle PIN returned; any holder of the file may UNPIN it.
    public var handle: UInt64
    /// The first pinned address in the target's address space; nil when the module withheld
    /// it (a pin another user took, listed to a caller without CAP_SYS_ADMIN).
    public var address: UInt64?
    public var pages: UInt64
    /// The PIN's flags by name: write, longterm, fast, get, remote (unknown bits as bitN).
    public var flags: [String]
    /// The process whose memory is pinned (the pinner, or the remote target's mm owner at pin
    /// time), in this process's pid namespace; nil when not visible, unknown or exited.
    public var targetPID: Int32?
    /// The target process has exited; the pin still holds its pages until UNPIN or close.
    public var targetExited: Bool
    /// The user who took the pin (uid in the initial user namespace).
    public var chargedUID: UInt32
    /// Charged to that user's RLIMIT_MEMLOCK (it had no CAP_IPC_LOCK).
    public var chargedToMemlock: Bool
    /// The process that took the pin; nil when not visible in this pid namespace.
    public var pinnerPID: Int32?

    /// A FOLL_PIN pin (counted in /proc/vmstat nr_foll_pin_acquired), not a FOLL_GET reference.
    public var isFollPin: Bool { !flags.contains("get") }
}

/// One open file of /dev/pinctl and the pins it holds.
public struct KernelHelperFile: Codable, Sendable, Equatable {
    /// The module's name for the file while it is open.
    public var fileID: UInt64
    /// The process that opened it, in this pid namespace; nil when not visible here.
    public var openerPID: Int32?
    /// The opener's uid in the initial user namespace.
    public var openerUID: UInt32
    /// The opener's comm at open (not escaped: text output escapes it); `openerCommBytes`
    /// as a census row's `commBytes`.
    public var openerComm: String
    public var openerCommBytes: String? = nil
    /// Pages and handles the file holds; nil when only some of its pins were listed to this
    /// caller (another user's file holding pins charged to this user).
    public var heldPages: UInt64?
    public var handles: UInt32?
    /// The descriptor the listing was taken through.
    public var isThisDescriptor: Bool
    public var pins: [KernelHeldPin]

    /// Pages of `pins` that are FOLL_PIN pins.
    public var follPinPages: UInt64 { pins.reduce(0) { $1.isFollPin ? $0 &+ $1.pages : $0 } }
}

/// Every open file of /dev/pinctl this caller may see, with its pins (PINCTL_IOC_LIST).
public struct KernelPinListing: Codable, Sendable, Equatable {
    /// By file id.
    public var files: [KernelHelperFile]
    /// The caller had CAP_SYS_ADMIN: every file and every address is here. Otherwise only
    /// its own uid's files and pins.
    public var complete: Bool
}

extension KernelPinFlags {
    static let names: [(KernelPinFlags, String)] = [
        (.write, "write"), (.longterm, "longterm"), (.fast, "fast"), (.get, "get"), (.remote, "remote"),
    ]

    /// Every set bit by name, unknown bits as bitN.
    public var names: [String] {
        var out = Self.names.filter { contains($0.0) }.map(\.1)
        var rest = rawValue & ~Self.names.reduce(0) { $0 | $1.0.rawValue }
        while rest != 0 {
            let bit = rest.trailingZeroBitCount
            out.append("bit\(bit)")
            rest &= rest - 1
        }
        return out
    }
}

extension KernelHelper {
    /// Records fetched per LIST call: 96 KiB, reused.
    static let listBatch = 1024

    /// Every open file of /dev/pinctl and the pins each holds, as far as this caller may see
    /// them (all with CAP_SYS_ADMIN; else its own uid's files and pins, and addresses only of
    /// the pins it took). Not a snapshot: a pin taken or released during the walk may be
    /// missing or listed.
    public func listPins() throws(PinctlError) -> KernelPinListing {
        try requireABI()
        try requireFeature(UInt64(PINCTL_FEAT_LIST), "list", "LIST (who holds pins through /dev/pinctl)")
        var files: [KernelHelperFile] = []
        var index: [UInt64: Int] = [:]
        var buf = [pinctl_list_entry](repeating: pinctl_list_entry(), count: Self.listBatch)
        var l = pinctl_list()
        var calls = 0
        while true {
            l.count = UInt32(Self.listBatch)
            let rc = buf.withUnsafeMutableBufferPointer { b -> Int32 in
                l.entries = UInt64(UInt(bitPattern: b.baseAddress))
                return cpinctl_kmod_list(fd.raw, &l)
            }
            guard rc == 0 else { throw .system(fail("PINCTL_IOC_LIST", fd.path)) }
            guard Int(l.count) <= Self.listBatch else {
                throw .system(SyscallError(call: "ioctl(PINCTL_IOC_LIST)", object: fd.path, errno: EPROTO))
            }
            for e in buf.prefix(Int(l.count)) {
                let i: Int
                if let known = index[e.file_id] {
                    i = known
                } else {
                    i = files.count
                    index[e.file_id] = i
                    files.append(Self.file(from: e))
                }
                if e.flags & UInt32(PINCTL_LIST_FILE) != 0 {
                    files[i].heldPages = e.nr_pages
                    files[i].handles = e.nr_handles
                } else {
                    files[i].pins.append(Self.pin(from: e))
                }
            }
            if l.out_flags & UInt32(PINCTL_LIST_END) != 0 { break }
            calls += 1
            // The cursor moves past every record it returns; a module that does not would loop.
            if l.count == 0 && calls > 1 << 20 {
                throw .system(SyscallError(call: "ioctl(PINCTL_IOC_LIST)", object: fd.path, errno: ELOOP))
            }
        }
        return KernelPinListing(files: files, complete: Self.callerIsAdmin())
    }

    static func file(from e: pinctl_list_entry) -> KernelHelperFile {
        let comm = withUnsafeBytes(of: e.opener_comm) { b in
            TerminalEscaping.textAndHexBytes(b.prefix(while: { $0 != 0 }))
        }
        return KernelHelperFile(
            fileID: e.file_id, openerPID: e.opener_tgid > 0 ? e.opener_tgid : nil, openerUID: e.opener_uid,
            openerComm: comm.text, openerCommBytes: comm.hexBytes,
            heldPages: nil, handles: nil, isThisDescriptor: e.flags & UInt32(PINCTL_LIST_SELF) != 0, pins: [])
    }

    static func pin(from e: pinctl_list_entry) -> KernelHeldPin {
        KernelHeldPin(
            handle: e.handle, address: e.flags & UInt32(PINCTL_LIST_ADDR_HIDDEN) != 0 ? nil : e.addr, pages: e.nr_pages,
            flags: KernelPinFlags(rawValue: e.pin_flags).names, targetPID: e.target_tgid > 0 ? e.target_tgid : nil,
            targetExited: e.flags & UInt32(PINCTL_LIST_TARGET_EXITED) != 0, chargedUID: e.charged_uid,
            chargedToMemlock: e.flags & UInt32(PINCTL_LIST_MEMLOCK) != 0, pinnerPID: e.pinner_tgid > 0 ? e.pinner_tgid : nil)
    }

    /// CAP_SYS_ADMIN in this process's effective set: what the module's LIST checks (in the
    /// initial user namespace, which this does not tell apart).
    static func callerIsAdmin() -> Bool { ProcessLimits.hasCapability(ProcessLimits.capSysAdmin) }

    /// Refuses, naming what is missing and the fix, when the loaded module predates a feature.
    func requireFeature(_ bit: UInt64, _ name: String, _ what: String) throws(PinctlError) {
        let v = try version()
        guard v.features.contains(name) else {
            throw .refused(
                "the loaded pinctl module has no \(what) (feature bit \(bit.trailingZeroBitCount)): load the module built from this source (pinctl module unload, then make -C KernelHelper or DKMS)"
            )
        }
    }
}

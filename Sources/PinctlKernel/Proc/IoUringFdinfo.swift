/// One buffer registered with IORING_REGISTER_BUFFERS: every page of it is FOLL_PIN'd
/// (FOLL_LONGTERM) for as long as it stays registered.
public struct IoUringBuffer: Codable, Sendable, Equatable {
    public var address: UInt64
    public var length: UInt64
    /// The FOLL_PIN references io_uring holds for it: one per page, or from 6.10 one per
    /// large folio when it could coalesce them, read from the pages' folios (pagemap and
    /// kpageflags). nil when that could not be read: `pagesSpanned` is then an upper bound.
    public var pinnedPages: UInt64? = nil

    public init(address: UInt64, length: UInt64, pinnedPages: UInt64? = nil) {
        self.address = address
        self.length = length
        self.pinnedPages = pinnedPages
    }

    /// The 4 KiB pages the buffer touches.
    public var pagesSpanned: UInt64 {
        let first = address >> PagemapReader.pageShift
        let last = (address &+ length &+ PagemapReader.pageSize &- 1) >> PagemapReader.pageShift
        return last > first ? last - first : 0
    }
}

/// What /proc/PID/fdinfo/FD says about one io_uring instance's registered buffers.
public struct IoUringRing: Codable, Sendable, Equatable {
    public var fd: Int32
    /// nil when the kernel printed no buffer table: it prints one only when it gets the
    /// ring's lock at once (6.18 leaves the section out; 6.1 prints "UserBufs: 0").
    public var userBufs: UInt64?
    public var buffers: [IoUringBuffer]

    public var registeredBytes: UInt64 { buffers.reduce(0) { $0 &+ $1.length } }

    /// FOLL_PIN references the kernel holds for the buffers: each buffer's `pinnedPages`,
    /// or its pages when that is unknown (io_uring pins every page; from 6.10 it keeps one
    /// pin per large folio instead, so then the page count is an upper bound).
    public var pinnedPages: UInt64 { buffers.reduce(0) { $0 &+ ($1.pinnedPages ?? $1.pagesSpanned) } }

    /// Whether `pinnedPages` is exact (every buffer's count was read), not an upper bound.
    public var pinnedPagesExact: Bool { buffers.allSatisfy { $0.pinnedPages != nil } }
}

/// Parses the fdinfo text of an io_uring fd: `UserBufs:\t1` then one `%5u: 0x%llx/%u` line
/// per buffer (io_uring/fdinfo.c, the same on 6.1 and 6.18).
public enum IoUringFdinfo {
    public static func parse(_ bytes: [UInt8], fd: Int32) -> IoUringRing {
        let t = ProcText(bytes: bytes)
        var ring = IoUringRing(fd: fd, userBufs: nil, buffers: [])
        var inBuffers = false
        try? t.forEachLine { line in
            var rest = line
            guard let first = t.nextField(&rest) else { return }
            if t.equals(first, "UserBufs:") {
                ring.userBufs = t.nextField(&rest).flatMap { t.number($0, radix: 10) }
                inBuffers = true
                return
            }
            guard inBuffers else { return }
            // "    0: 0x7f3c36e00000/8388608": an index, then address/length.
            guard t.bytes[first.upperBound - 1] == ProcText.colon,
                t.number(first.lowerBound..<(first.upperBound - 1), radix: 10) != nil,
                let spec = t.nextField(&rest)
            else {
                inBuffers = false
                return
            }
            // A slot of a sparse table (IORING_RSRC_REGISTER_SPARSE) with no buffer in it.
            if t.equals(spec, "<none>") { return }
            guard let slash = t.firstIndex(of: UInt8(ascii: "/"), in: spec),
                slash - spec.lowerBound > 2, t.bytes[spec.lowerBound] == UInt8(ascii: "0"),
                t.bytes[spec.lowerBound + 1] == UInt8(ascii: "x"),
                let address = t.number((spec.lowerBound + 2)..<slash, radix: 16),
                let length = t.number((slash + 1)..<spec.upperBound, radix: 10)
            else {
                inBuffers = false
                return
            }
            ring.buffers.append(IoUringBuffer(address: address, length: length))
        }
        return ring
    }
}

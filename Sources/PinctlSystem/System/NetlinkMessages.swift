/// One netlink message inside a received buffer: its header and where its payload lies.
package struct NetlinkMessage: Equatable {
    package var type: UInt16
    var flags: UInt16
    package var sequence: UInt32
    var portID: UInt32
    /// The payload's bytes in the buffer (after the 16-byte header).
    package var payload: Range<Int>
}

/// One attribute (struct nlattr): its type without the NLA_F_NESTED and NLA_F_NET_BYTEORDER
/// bits, and where its value lies.
package struct NetlinkAttribute: Equatable {
    package var type: UInt16
    package var value: Range<Int>
}

/// A reply whose lengths do not add up. The kernel never sends one; the parser must still
/// answer with this rather than read out of bounds or trap.
package enum NetlinkFormatError: Error, Equatable, CustomStringConvertible {
    /// nlmsg_len below the header's 16 bytes or past the end of what was received.
    case badMessageLength(offset: Int, length: UInt32, available: Int)
    /// nla_len below the attribute header's 4 bytes or past the end of its container.
    case badAttributeLength(offset: Int, length: UInt16, available: Int)

    package var description: String {
        switch self {
        case .badMessageLength(let o, let l, let a):
            return "a netlink message at byte \(o) claims \(l) bytes where \(a) remain (16 at least)"
        case .badAttributeLength(let o, let l, let a):
            return "a netlink attribute at byte \(o) claims \(l) bytes where \(a) remain (4 at least)"
        }
    }
}

/// Reads netlink messages and attributes (include/uapi/linux/netlink.h) from received bytes,
/// checking every length against what is there: a garbled reply is an error, never an
/// out-of-bounds read. Integers are in host byte order, as netlink carries them.
package struct NetlinkBytes {
    let bytes: [UInt8]
    /// How many of `bytes` were received (the buffer is reused and may be longer).
    let count: Int

    package static let messageHeaderSize = 16
    static let attributeHeaderSize = 4
    /// NLA_TYPE_MASK: the type without NLA_F_NESTED (1 << 15) and NLA_F_NET_BYTEORDER (1 << 14).
    static let attributeTypeMask: UInt16 = 0x3fff

    package init(_ bytes: [UInt8], count: Int? = nil) {
        self.bytes = bytes
        self.count = max(0, min(count ?? bytes.count, bytes.count))
    }

    /// NLMSG_ALIGN / NLA_ALIGN: rounds up to 4 bytes (callers pass lengths below 2^32).
    static func align(_ n: Int) -> Int { (n + 3) & ~3 }

    /// The messages in the buffer, in order. Padding after the last one is ignored.
    package func messages() throws(NetlinkFormatError) -> [NetlinkMessage] {
        var out: [NetlinkMessage] = []
        var offset = 0
        while count - offset >= Self.messageHeaderSize {
            let length = u32(at: offset)
            let available = count - offset
            guard length >= UInt32(Self.messageHeaderSize), UInt64(length) <= UInt64(available) else {
                throw .badMessageLength(offset: offset, length: length, available: available)
            }
            let end = offset + Int(length)
            out.append(
                NetlinkMessage(
                    type: u16(at: offset + 4), flags: u16(at: offset + 6), sequence: u32(at: offset + 8),
                    portID: u32(at: offset + 12), payload: (offset + Self.messageHeaderSize)..<end))
            offset = Self.align(end)
        }
        return out
    }

    /// The attributes in `range` (a message's payload after its family header, or a nested
    /// attribute's value), in order.
    package func attributes(in range: Range<Int>) throws(NetlinkFormatError) -> [NetlinkAttribute] {
        var out: [NetlinkAttribute] = []
        let end = min(range.upperBound, count)
        var offset = max(0, range.lowerBound)
        while end - offset >= Self.attributeHeaderSize {
            let length = u16(at: offset)
            let available = end - offset
            guard Int(length) >= Self.attributeHeaderSize, Int(length) <= available else {
                throw .badAttributeLength(offset: offset, length: length, available: available)
            }
            out.append(
                NetlinkAttribute(
                    type: u16(at: offset + 2) & Self.attributeTypeMask,
                    value: (offset + Self.attributeHeaderSize)..<(offset + Int(length))))
            offset = Self.align(offset + Int(length))
        }
        return out
    }

    /// A u32 attribute's value; nil unless it is exactly 4 bytes.
    package func u32(_ a: NetlinkAttribute) -> UInt32? {
        guard a.value.count == 4, a.value.upperBound <= count else { return nil }
        return u32(at: a.value.lowerBound)
    }

    /// A u64 attribute's value (nla_put_u64_64bit); nil unless it is exactly 8 bytes.
    package func u64(_ a: NetlinkAttribute) -> UInt64? {
        guard a.value.count == 8, a.value.upperBound <= count else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: a.value.lowerBound, as: UInt64.self) }
    }

    /// A string attribute up to its NUL (nla_put_string includes one), at most `limit` bytes;
    /// nil when longer. Bytes that are not UTF-8 read as U+FFFD (renderers escape the rest).
    package func string(_ a: NetlinkAttribute, limit: Int) -> String? {
        guard a.value.upperBound <= count else { return nil }
        let slice = bytes[a.value]
        let text = slice.prefix(while: { $0 != 0 })
        guard text.count <= limit else { return nil }
        return String(decoding: text, as: UTF8.self)
    }

    /// The first int of an NLMSG_ERROR or NLMSG_DONE payload (0 or a negative errno).
    package func errorCode(_ m: NetlinkMessage) -> Int32? {
        guard m.payload.count >= 4, m.payload.upperBound <= count else { return nil }
        return Int32(bitPattern: u32(at: m.payload.lowerBound))
    }

    private func u16(at offset: Int) -> UInt16 {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
    }

    private func u32(at offset: Int) -> UInt32 {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    }
}

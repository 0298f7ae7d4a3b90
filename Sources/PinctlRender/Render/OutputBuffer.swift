#if canImport(Glibc)
    import Glibc
#endif

/// A reused byte buffer written to a descriptor with write(2) when it fills: the streaming
/// renderers format numbers and names straight into it, so a row costs no allocation.
/// A value type over a fixed allocation: keep it in a local (or `inout`) in hot loops.
public struct OutputBuffer {
    public let fd: Int32
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    /// Bytes waiting in the buffer.
    var count = 0
    /// Bytes handed to write(2) so far (whether output has started).
    public private(set) var written: UInt64 = 0

    /// Room every `reserve` must leave: the largest single item (a row, a hex number).
    static let slack = 4096

    /// `capacity`: 256 KiB by default, large enough that write(2) is noise per row, small
    /// enough to stay in cache.
    public init(fd: Int32, capacity: Int = 256 << 10) {
        self.fd = fd
        self.capacity = max(capacity, 2 * Self.slack)
        base = .allocate(capacity: self.capacity)
    }

    /// Frees the buffer; call once, after the last flush.
    public func deallocate() { base.deallocate() }

    /// Makes room for `n` more bytes, writing out what is buffered when needed.
    @inline(__always)
    public mutating func reserve(_ n: Int) throws(PinctlError) {
        if count + n > capacity { try flush() }
        if n > capacity { throw .system(SyscallError(call: "write", object: "an item of \(n) bytes", errno: EMSGSIZE)) }
    }

    /// Writes out every buffered byte (`writeAll`: interrupted and short writes continued, a
    /// non-blocking descriptor waited on: EAGAIN dropped the buffer and ended the report
    /// mid-line, its JSON document unparsable).
    public mutating func flush() throws(PinctlError) {
        let e = writeAll(fd, base, count)
        if e != 0 {
            count = 0
            throw .system(SyscallError(call: "write", object: fd == 1 ? "standard output" : "fd \(fd)", errno: e))
        }
        written &+= UInt64(count)
        count = 0
    }

    // MARK: Appending. The caller has reserved room (`slack` covers any one call below but
    // `bytes` of arbitrary length, which reserves for itself).

    @inline(__always)
    public mutating func byte(_ b: UInt8) {
        base[count] = b
        count &+= 1
    }

    @inline(__always)
    public mutating func ascii(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        (base + count).update(from: s.utf8Start, count: n)
        count &+= n
    }

    /// Bytes of any length (flushing as needed).
    public mutating func bytes(_ p: UnsafeBufferPointer<UInt8>) throws(PinctlError) {
        var rest = p
        while !rest.isEmpty {
            if count == capacity { try flush() }
            let n = min(rest.count, capacity - count)
            (base + count).update(from: rest.baseAddress!, count: n)
            count &+= n
            rest = UnsafeBufferPointer(rebasing: rest[n...])
        }
    }

    @inline(__always)
    public mutating func bytes(_ p: UnsafePointer<UInt8>, _ n: Int) {
        (base + count).update(from: p, count: n)
        count &+= n
    }

    /// Lowercase hex without prefix.
    @inline(__always)
    public mutating func hexDigits(_ v: UInt64) {
        let digits = v == 0 ? 1 : (67 - v.leadingZeroBitCount) >> 2
        var x = v
        var i = count &+ digits
        count = i
        repeat {
            i &-= 1
            let d = UInt8(truncatingIfNeeded: x & 0xf)
            base[i] = d < 10 ? 0x30 &+ d : 0x57 &+ d
            x >>= 4
        } while x != 0
    }

    /// "0x" and lowercase hex.
    @inline(__always)
    public mutating func hex(_ v: UInt64) {
        base[count] = 0x30
        base[count &+ 1] = 0x78
        count &+= 2
        hexDigits(v)
    }

    @inline(__always)
    public mutating func decimal(_ v: UInt64) {
        if v < 10 {
            base[count] = 0x30 &+ UInt8(truncatingIfNeeded: v)
            count &+= 1
            return
        }
        var digits = 1
        var t = v
        while t >= 10 {
            t /= 10
            digits &+= 1
        }
        var x = v
        var i = count &+ digits
        count = i
        repeat {
            i &-= 1
            base[i] = 0x30 &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        } while x != 0
    }

    @inline(__always)
    public mutating func decimal(_ v: Int64) {
        if v < 0 {
            byte(0x2d)
            decimal(UInt64(bitPattern: 0 &- v))
        } else {
            decimal(UInt64(v))
        }
    }

    /// Spaces up to `width` bytes after `start`, or one space when the field is wider
    /// (TextRendering.pad on bytes).
    @inline(__always)
    public mutating func pad(from start: Int, to width: Int) {
        let used = count &- start
        let n = used >= width ? 1 : width &- used
        (base + count).update(repeating: 0x20, count: n)
        count &+= n
    }

    /// Where the next byte goes (for `pad(from:to:)`).
    @inline(__always)
    public var position: Int { count }

    // MARK: Columns of the text tables: a value, then spaces up to the column's width.

    @inline(__always)
    public mutating func hex(_ v: UInt64, width: Int) {
        let start = count
        hex(v)
        pad(from: start, to: width)
    }

    @inline(__always)
    public mutating func decimal(_ v: UInt64, width: Int) {
        let start = count
        decimal(v)
        pad(from: start, to: width)
    }

    /// `-` where the kernel gave no value.
    @inline(__always)
    public mutating func decimal(_ v: UInt64, present: Bool, width: Int) {
        let start = count
        if present { decimal(v) } else { byte(0x2d) }
        pad(from: start, to: width)
    }
}

extension OutputBuffer {
    /// A string's UTF-8 bytes, unescaped (text the caller escaped already).
    public mutating func string(_ s: String) throws(PinctlError) {
        try withUTF8(of: s) { (b) throws(PinctlError) in try bytes(b) }
    }
}

/// `String.withUTF8` with a typed error (the standard library's only rethrows `any Error`).
func withUTF8<R>(of s: String, _ body: (UnsafeBufferPointer<UInt8>) throws(PinctlError) -> R) throws(PinctlError) -> R {
    var s = s
    do {
        return try s.withUTF8 { b in try body(b) }
    } catch let e as PinctlError {
        throw e
    } catch {
        preconditionFailure("withUTF8: \(error)")
    }
}

extension OutputBuffer {
    /// A table's header, before its first row only.
    mutating func header(_ h: StaticString, written: inout Bool) throws(PinctlError) {
        guard !written else { return }
        try reserve(h.utf8CodeUnitCount)
        ascii(h)
        written = true
    }

    /// A chunk of rows, each rendered straight into the buffer after `reserve(maxRowBytes)`
    /// (the row renderers do not check for room), then written out: the streaming writers'
    /// loop, for text rows, JSON array elements and JSON lines alike.
    @inline(__always)
    mutating func rows<Row>(
        _ rows: UnsafeBufferPointer<Row>, maxRowBytes: Int, _ render: (Row, inout OutputBuffer) -> Void
    ) throws(PinctlError) {
        for r in rows {
            try reserve(maxRowBytes)
            render(r, &self)
        }
        try flush()
    }
}

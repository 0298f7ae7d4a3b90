#if canImport(Glibc)
    import Glibc
#endif

/// Names of /proc directory entries as readdir gives them: the census's process scan and
/// phys's reverse map both walk /proc and its fd directories.
package enum ProcDirectoryEntry {
    /// The entry's name, in place (no copy of the dirent).
    package static func name(_ entry: UnsafeMutablePointer<dirent>) -> UnsafePointer<CChar> {
        UnsafeRawPointer(entry).advanced(by: MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
            .assumingMemoryBound(to: CChar.self)
    }

    /// The pid of a /proc entry that names a process (plain decimal digits), else nil.
    package static func pid(of entry: UnsafeMutablePointer<dirent>) -> Int32? {
        guard let v = decimal(name(entry)), v > 0 else { return nil }
        return v
    }

    /// A name of plain decimal digits as a number (fd names, pids), else nil.
    package static func decimal(_ name: UnsafePointer<CChar>) -> Int32? {
        var v: Int32 = 0
        var n = 0
        while true {
            let c = UInt8(bitPattern: name[n])
            if c == 0 { break }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9"), n < 8 else { return nil }
            v = v * 10 + Int32(c - UInt8(ascii: "0"))
            n += 1
        }
        return n > 0 ? v : nil
    }
}

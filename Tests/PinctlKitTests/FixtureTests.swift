import Foundation
import Testing

@testable import PinctlKernel
@testable import PinctlKit
@testable import PinctlRender
@testable import PinctlSystem

/// Parsers and decoders on /proc text captured from Debian's 6.1 (in QEMU) and the host's
/// 6.18 by scripts/capture/proc-fixtures.sh, with a known set of mappings.
@Suite struct FixtureTests {
    static let kernels = ["linux-6.1", "linux-6.18"]

    struct Capture {
        let dir: URL
        func text(_ name: String) throws -> String { try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) }
        /// kind -> [start, end)
        func regions() throws -> [String: (UInt64, UInt64)] {
            var out: [String: (UInt64, UInt64)] = [:]
            for line in try text("regions.txt").split(separator: "\n") {
                let f = line.split(separator: " ")
                out[String(f[0])] = (UInt64(f[1].dropFirst(2), radix: 16)!, UInt64(f[2].dropFirst(2), radix: 16)!)
            }
            return out
        }
        struct Page {
            let kind: String
            let va: UInt64
            let entry: PagemapEntry
            let flags: KPageFlags?
            let count: UInt64?
        }
        func pages() throws -> [Page] {
            try text("pages.txt").split(separator: "\n").map { line in
                let f = line.split(separator: " ")
                return Page(
                    kind: String(f[0]), va: UInt64(f[1].dropFirst(2), radix: 16)!,
                    entry: PagemapEntry(raw: UInt64(f[2].dropFirst(2), radix: 16)!),
                    flags: f[3] == "-" ? nil : KPageFlags(rawValue: UInt64(f[3].dropFirst(2), radix: 16)!),
                    count: f[4] == "-" ? nil : UInt64(f[4]))
            }
        }
    }

    static func capture(_ kernel: String) -> Capture {
        Capture(dir: repoRoot.appendingPathComponent("Tests/PinctlKitTests/Fixtures/\(kernel)"))
    }

    @Test(arguments: kernels) func mapsAndSmapsAgreeAndCoverEveryRegion(_ kernel: String) throws {
        let c = Self.capture(kernel)
        let maps = try ProcMaps.parse(c.text("maps.txt"))
        let smaps = try ProcSmaps.parse(c.text("smaps.txt"))
        #expect(maps.map(\.start) == smaps.map(\.vma.start))
        #expect(maps.contains { $0.path == "[stack]" })
        for (kind, (start, end)) in try c.regions() {
            #expect(maps.contains { $0.start <= start && end <= $0.end }, "\(kind) region not in maps")
        }
        #expect(smaps.allSatisfy { !$0.vmFlags.isEmpty && $0["Rss"] != nil })
    }

    /// smaps read a chunk at a time (as `maps` and `inspect` read it) gives the same VMAs as
    /// the whole file parsed at once, whatever the chunk: 1 byte, 13 (every line longer than
    /// a chunk), 4 KiB, the default; and the file without its last newline too.
    @Test(arguments: kernels) func smapsReadInChunksOfAnySizeIsTheWholeParse(_ kernel: String) throws {
        let path = Self.capture(kernel).dir.appendingPathComponent("smaps.txt").path
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let whole = try ProcSmaps.parse(bytes: bytes)
        #expect(whole.count > 10)
        let cut = "/tmp/pinctl-smaps-cut-\(getpid())-\(kernel)"
        defer { unlink(cut) }
        try Data(bytes.dropLast()).write(to: URL(fileURLWithPath: cut))
        for file in [path, cut] {
            for chunk in [1, 13, 4096, 256 << 10] {
                var streamed: [SmapsEntry] = []
                try ProcSmaps.stream(try FileDescriptor.openReadOnly(file), chunk: chunk) { streamed.append($0) }
                let firstDifference = (0..<min(streamed.count, whole.count)).first { streamed[$0] != whole[$0] }
                let says = "\(streamed.count) VMAs of \(whole.count), first differing \(firstDifference.map(String.init) ?? "none")"
                #expect(streamed.count == whole.count && firstDifference == nil, "\(file) in chunks of \(chunk): \(says)")
            }
        }
        let onlyStack = try ProcSmaps.read(try FileDescriptor.openReadOnly(path), wantFields: { $0.path == "[stack]" })
        #expect(onlyStack.map(\.vma) == whole.map(\.vma))
        #expect(onlyStack.filter { !$0.fields.isEmpty }.map(\.vma.path) == ["[stack]"])
    }

    @Test(arguments: kernels) func smapsCountersMatchTheCapturedMappings(_ kernel: String) throws {
        let c = Self.capture(kernel)
        let smaps = try ProcSmaps.parse(c.text("smaps.txt"))
        let regions = try c.regions()
        func vma(_ kind: String) throws -> SmapsEntry {
            let (s, _) = try #require(regions[kind])
            return try #require(smaps.first { $0.vma.contains(s) })
        }
        let thp = try vma("thp")
        #expect(thp["AnonHugePages"] == 4 << 20)
        #expect(thp["THPeligible"] == 1)
        #expect(thp.vmFlags.contains("hg"))
        let locked = try vma("mlocked")
        #expect(locked["Locked"] == 16 << 10)
        #expect(locked.vmFlags.contains("lo"))
        #expect(try vma("file").vma.path.hasPrefix("/"))
        #expect(try vma("memfd").vma.path.hasPrefix("/memfd:"))
        #expect(try vma("memfd").vma.isShared)
        let status = ProcStatus.parse(try c.text("status.txt"))
        #expect(status.vmLck == 16 << 10)
        #expect(status.vmPin == 0)
        #expect(!status.name.isEmpty)
    }

    @Test(arguments: kernels) func pagemapAndKPageFlagsDecodeAsTheMappingsPromise(_ kernel: String) throws {
        let c = Self.capture(kernel)
        let pages = try c.pages()
        let byKind = Dictionary(grouping: pages, by: \.kind)
        let thp = try #require(byKind["thp"])
        #expect(thp.count == 1024 && thp.allSatisfy { $0.entry.present })
        for block in stride(from: 0, to: 1024, by: 512) {
            let head = try #require(thp[block].entry.pfn)
            #expect(head % 512 == 0)
            #expect(thp[block].flags?.contains([.thp, .compoundHead]) == true)
            for i in 1..<512 { #expect(thp[block + i].entry.pfn == head + UInt64(i)) }
        }
        #expect(thp[1].flags?.contains([.thp, .compoundTail]) == true)
        #expect(byKind["zero"]!.allSatisfy { $0.flags?.contains(.zeroPage) == true && $0.count == 0 })
        #expect(byKind["mlocked"]!.allSatisfy { $0.flags?.contains([.mlocked, .unevictable]) == true })
        #expect(byKind["untouched"]!.allSatisfy { !$0.entry.present && !$0.entry.swapped && $0.entry.pfn == nil })
        #expect(byKind["file"]!.allSatisfy { $0.entry.fileOrSharedAnon && $0.entry.present })
        #expect(byKind["memfd"]!.allSatisfy { $0.entry.fileOrSharedAnon && $0.flags?.contains(.swapbacked) == true })
        #expect(byKind["anon"]!.allSatisfy { $0.entry.exclusive && $0.flags?.names.contains("anon_exclusive") == true })
        if kernel == "linux-6.1" {
            // CONFIG_MEM_SOFT_DIRTY=y: even never-touched pages carry bit 55.
            #expect(byKind["untouched"]!.allSatisfy { $0.entry.softDirty })
        }
    }

    @Test(arguments: kernels) func capturedTHPCollapsesToOneRowPerHugePage(_ kernel: String) throws {
        let thp = try Self.capture(kernel).pages().filter { $0.kind == "thp" }
        var b = PageRowBuilder(collapse: true, capacity: thp.count + 1)
        defer { b.deallocate() }
        for p in thp {
            b.add(va: p.va, entry: p.entry.raw, flags: p.flags?.rawValue, inherited: false, mapcount: p.count, cgroup: nil)
        }
        let rows = b.finish()
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.count == 512 && $0.compound && $0.flags & KPageFlags.compoundHead.rawValue != 0 })
    }

    /// Each capture names kpageflags bits as its kernel does (bit 34 mappedtodisk on 6.1,
    /// owner_2 on 6.18), in pinctl's names and in proc-capture's notes alike; anon pages read
    /// anon_exclusive on both.
    @Test(arguments: kernels) func kpageflagNamesFollowTheCapturedKernel(_ kernel: String) throws {
        let c = Self.capture(kernel)
        let release = try c.text("uname.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let names = KPageFlagNames(kernelRelease: release)
        #expect(names.table[34] == (kernel == "linux-6.1" ? "mappedtodisk" : "owner_2"))
        let anon = try c.pages().filter { $0.kind == "anon" }
        #expect(!anon.isEmpty)
        for p in anon {
            let n = try #require(p.flags).names(using: names)
            #expect(n.contains("anon_exclusive") && !n.contains("mappedtodisk") && !n.contains("owner_2"))
        }
        // proc-capture's notes name bits without the anon overload: "kpageflags 0x... on N pages: a,b".
        var checked = 0
        for line in try c.text("kernel-config-notes.txt").split(separator: "\n") where line.hasPrefix("  kpageflags 0x") {
            let f = line.split(separator: " ")
            let raw = try #require(UInt64(f[1].dropFirst(2), radix: 16))
            let plain = (0..<64).filter { raw & (1 << UInt64($0)) != 0 }.map { names.table[$0] }
            #expect(String(f[5]) == plain.joined(separator: ","), "\(kernel): \(line)")
            checked += 1
        }
        #expect(checked > 0)
    }
}

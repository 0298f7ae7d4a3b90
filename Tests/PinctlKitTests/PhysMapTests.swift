import Foundation
import PinctlKit
import PinctlRender
import Testing

/// `pinctl phys --map`: the class a cell shows, and the map of the running kernel against
/// the walk's own totals and against hugetlb pages whose frames the test knows.
struct PhysMapClassTests {
    static let page: UInt64 = 4096

    @Test func cellShowsItsWorstFrameAndWhetherItIsDense() {
        var frames = [UInt64](repeating: 0, count: MapClass.allCases.count)
        frames[MapClass.free.rawValue] = 32000
        frames[MapClass.movable.rawValue] = 700
        frames[MapClass.kernel.rawValue] = 68
        let sparse = MapCell(startPFN: 0, pages: 32768, frames: frames)
        #expect(sparse.worst == .kernel)
        #expect(!sparse.dense)
        frames[MapClass.pinned.rawValue] = 8000
        let pinned = MapCell(startPFN: 0, pages: 32768, frames: frames)
        #expect(pinned.worst == .pinned)
        #expect(pinned.dense)
        let empty = MapCell(startPFN: 0, pages: 512, frames: [UInt64](repeating: 0, count: MapClass.allCases.count))
        #expect(empty.worst == .none)
        #expect(!empty.dense)
    }

    @Test func cellJSONRoundTripsItsCounts() throws {
        let frames: [UInt64] = [0, 1, 2, 3, 4, 5, 6]
        let cell = MapCell(startPFN: 0x1000, pages: 512, frames: frames)
        let data = try JSONEncoder().encode(cell)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"worst\":\"pinned\""))
        #expect(try JSONDecoder().decode(MapCell.self, from: data) == cell)
    }

    @Test func textIsPlainWithoutColourAndLowerCaseWhenSparse() {
        var frames = [UInt64](repeating: 0, count: MapClass.allCases.count)
        frames[MapClass.free.rawValue] = 500
        frames[MapClass.hugetlb.rawValue] = 12
        let sparse = MapCell(startPFN: 0, pages: 512, frames: frames)
        frames[MapClass.hugetlb.rawValue] = 500
        let dense = MapCell(startPFN: 512, pages: 512, frames: frames)
        let map = PhysMap(cellPages: 512, cellUnit: "2 MiB", rows: [MapRow(label: "block 3", cells: [sparse, dense])], pinnedKnown: true)
        let plain = PhysMapRendering.text(map, colour: false)
        #expect(!plain.contains("\u{1B}"))
        #expect(plain.contains("block 3  pfn 0x0"))
        #expect(plain.split(separator: "\n").contains { $0.hasSuffix(" hH") })
        #expect(PhysMapRendering.text(map, colour: true).contains("\u{1B}[36mH\u{1B}[0m"))
        let svg = PhysMapRendering.svg(map, title: "t <&>")
        #expect(svg.contains("t &lt;&amp;&gt;"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == 2 + MapClass.allCases.count)
    }
}

@Suite(.serialized, .needsRootForProc, .needsBuiltBinaries)
struct LivePhysMapTests {
    static func map(_ args: [String]) throws -> (map: [String: Any], summary: [String: Any]) {
        let r = try pinctl(["phys", "--map", "--json"] + args)
        #expect(r.status == 0, "pinctl phys --map \(args): \(r.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        return (doc["map"] as? [String: Any] ?? [:], doc["summary"] as? [String: Any] ?? [:])
    }

    static func cells(_ map: [String: Any]) -> [[String: Any]] {
        (map["rows"] as? [[String: Any]] ?? []).flatMap { $0["cells"] as? [[String: Any]] ?? [] }
    }

    static func n(_ v: Any?) -> UInt64 { (v as? NSNumber)?.uint64Value ?? 0 }

    /// Every frame the walk selected is in exactly one class of one cell, and the free
    /// frames are the buddy frames of the same walk.
    @Test func blockCellsAccountForEveryFrameOfTheWalk() throws {
        let blocks = try FileManager.default.contentsOfDirectory(atPath: "/sys/devices/system/memory")
            .filter { $0.hasPrefix("memory") }.compactMap { UInt64($0.dropFirst(6)) }.sorted()
        guard let block = blocks.last else { try Test.cancel("no memory blocks on this kernel") }
        let (map, summary) = try Self.map(["block:\(block)"])
        let cells = Self.cells(map)
        let blockBytes = try String(contentsOfFile: "/sys/devices/system/memory/block_size_bytes", encoding: .utf8)
        let blockPages = (UInt64(blockBytes.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) ?? 0) / 4096
        #expect(Self.n(map["cellPages"]) == 512)
        #expect(UInt64(cells.count) == blockPages / 512)
        let classes = ["free", "movable", "mlocked", "hugetlb", "kernel", "pinned"]
        let total = cells.reduce(UInt64(0)) { t, c in classes.reduce(t) { $0 + Self.n(c[$1]) } }
        #expect(total == Self.n(summary["selected"]))
        let free = cells.reduce(UInt64(0)) { $0 + Self.n($1["free"]) }
        #expect(free == Self.n((summary["flagCounts"] as? [String: Any])?["buddy"]))
        for c in cells {
            let worst = c["worst"] as? String ?? "?"
            #expect(worst == "none" || Self.n(c[worst]) > 0, "cell \(c)")
        }
    }

    /// The cells holding hugetlb pages the holder maps (their PFNs read from its pagemap)
    /// show hugetlb frames, and text and SVG draw the same cells as the JSON.
    @Test func hugetlbPagesShowInTheirCells() throws {
        let hugetlb = try HugetlbReservation(pages: 2)
        defer { hugetlb.release() }
        let h = try Holder(["hugetlb:4M"])
        defer { h.stop() }
        let r = h.region("hugetlb")
        let pfns = RawProc.pagemap(h.pid, r.start, pages: 1024).filter { $0 & (1 << 63) != 0 }.map { $0 & ((1 << 55) - 1) }
        #expect(pfns.count == 1024)
        let (map, _) = try Self.map(["all"])
        let cellPages = Self.n(map["cellPages"])
        try #require(cellPages > 0)
        var byStart: [UInt64: [String: Any]] = [:]
        for c in Self.cells(map) { byStart[Self.n(c["startPFN"])] = c }
        var perCell: [UInt64: UInt64] = [:]
        for p in pfns { perCell[p / cellPages * cellPages, default: 0] += 1 }
        for (start, want) in perCell {
            let cell = try #require(byStart[start], "no cell at \(start)")
            let worse = ["hugetlb", "kernel", "pinned"].reduce(UInt64(0)) { $0 + Self.n(cell[$1]) }
            #expect(Self.n(cell["hugetlb"]) >= want || worse >= want, "cell \(cell) holds \(want) hugetlb frames")
            #expect(["hugetlb", "kernel", "pinned"].contains(cell["worst"] as? String ?? ""), "cell \(cell)")
        }
        let dir = try tempDir("physmap")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = try pinctl(["phys", "--map", "--svg", "\(dir)/map.svg", "all"])
        #expect(text.status == 0, "\(text.stderr)")
        expectNoRawControls(text.stdout)
        let drawn = text.stdout.split(separator: "\n").filter { $0.contains(" pfn 0x") }.map { $0.split(separator: " ").last ?? "" }
        #expect(drawn.reduce(0) { $0 + $1.count } <= Self.cells(map).count)
        let svg = try String(contentsOfFile: "\(dir)/map.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        #expect(svg.components(separatedBy: "<rect").count - 1 == Self.cells(map).count + MapClass.allCases.count)
    }

    @Test func mapRefusesRowsOwnersAndAnSvgWithoutIt() throws {
        for args in [["--map", "--owners", "all"], ["--map", "--pages", "block:0"], ["--svg", "/tmp/x.svg", "all"]] {
            let r = try pinctl(["phys"] + args)
            #expect(r.status == 64, "\(args): \(r.status) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 || r.stderr.contains("Usage"), "\(r.stderr)")
        }
        let dir = try tempDir("physmap")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.svg", withDestinationPath: "\(dir)/target")
        let r = try pinctl(["phys", "--map", "--svg", "\(dir)/link.svg", "block:0"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/target"))
    }
}

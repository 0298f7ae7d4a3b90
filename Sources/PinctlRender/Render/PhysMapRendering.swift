/// `phys --map` drawn: a character per cell on a terminal (coloured only when asked, so a
/// pipe or a log gets plain text), and SVG with a tooltip per cell for a report or a ticket.
public enum PhysMapRendering {
    /// Cells per text line: 64 blocks of 128 MiB is 8 GiB a line.
    static let perLine = 64

    /// The character and SGR colour of a class; lower case when the class is sparse in the
    /// cell (under an eighth of its frames).
    static func glyph(_ c: MapClass, dense: Bool = true) -> (Character, String) {
        let (g, sgr): (Character, String)
        switch c {
        case .none: return (" ", "")
        case .free: return (".", "2")
        case .movable: (g, sgr) = ("M", "32")
        case .mlocked: (g, sgr) = ("L", "33")
        case .hugetlb: (g, sgr) = ("H", "36")
        case .kernel: (g, sgr) = ("K", "31")
        case .pinned: (g, sgr) = ("P", "1;35")
        }
        return dense ? (g, sgr) : (Character(g.lowercased()), sgr)
    }

    static func painted(_ g: Character, _ sgr: String, colour: Bool) -> String {
        colour && !sgr.isEmpty ? "\u{1B}[\(sgr)m\(g)\u{1B}[0m" : String(g)
    }

    /// SVG fill of a class.
    static func fill(_ c: MapClass) -> String {
        switch c {
        case .none: return "#ffffff"
        case .free: return "#e8e8e8"
        case .movable: return "#7fc97f"
        case .mlocked: return "#fdc086"
        case .hugetlb: return "#80b1d3"
        case .kernel: return "#e41a1c"
        case .pinned: return "#984ea3"
        }
    }

    static let meaning: [MapClass: String] = [
        .free: "free", .movable: "movable (LRU, page cache, anonymous)", .mlocked: "mlocked (migrates, not reclaimed)",
        .hugetlb: "hugetlb", .kernel: "kernel (slab, page tables, reserved, unexplained references)",
        .pinned: "pinned (FOLL_PIN)", .none: "no frames (hole, offline)",
    ]

    /// The map as text: a legend, a line of up to `perLine` cells each with the first cell's
    /// index and its row's label, then the cells per class.
    public static func text(_ m: PhysMap, colour: Bool) -> String {
        var s =
            "map: a cell per \(unit(m)), showing the worst frame in it\n"
        s += "legend:"
        for c in MapClass.allCases.reversed() {
            let (g, sgr) = glyph(c)
            s += "  \(c == .none ? "' '" : painted(g, sgr, colour: colour)) \(meaning[c] ?? c.name)"
        }
        s += "\n        lower case (k, p, h, l, m): under an eighth of the cell's frames are of that class\n"
        let labelWidth = min(max(m.rows.map { TextRendering.esc($0.label).count }.max() ?? 0, 4), 24)
        for (label, chunk) in lines(m) {
            var line = TextRendering.pad(TextRendering.esc(label), labelWidth + 2)
            line += TextRendering.pad(chunk.first.map { "pfn \(hex($0.startPFN))" } ?? "-", 18)
            for cell in chunk {
                let (g, sgr) = glyph(cell.worst, dense: cell.dense)
                line += painted(g, sgr, colour: colour)
            }
            s += line + "\n"
        }
        let by = m.cellsByClass
        s += "cells: " + MapClass.allCases.reversed().map { "\($0.name) \(by[$0] ?? 0)" }.joined(separator: ", ") + "\n"
        return s
    }

    /// The map as a standalone SVG document: a row of squares per text line, a <title> per
    /// cell with its counts, and the legend.
    public static func svg(_ m: PhysMap, title: String) -> String {
        let cell = 12
        let gap = 2
        let labelWidth = 200
        let lines = lines(m)
        let legendTop = 40 + lines.count * (cell + gap) + 20
        let width = labelWidth + perLine * (cell + gap) + 20
        let height = legendTop + MapClass.allCases.count * 18 + 10
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"monospace\" font-size=\"11\">\n"
        s += "<title>\(xml(title))</title>\n"
        s +=
            "<text x=\"10\" y=\"20\" font-size=\"13\">\(xml(title)): a cell per \(xml(unit(m)))</text>\n"
        for (k, (label, cells)) in lines.enumerated() {
            let y = 40 + k * (cell + gap)
            if !label.isEmpty { s += "<text x=\"10\" y=\"\(y + cell - 2)\">\(xml(label))</text>\n" }
            for (j, c) in cells.enumerated() {
                let x = labelWidth + j * (cell + gap)
                let counts = MapClass.allCases.filter { $0 != .none && c.count($0) > 0 }.map { "\($0.name) \(c.count($0))" }
                    .joined(separator: ", ")
                let tip =
                    "pfn \(hex(c.startPFN))-\(hex(c.startPFN + c.pages)): \(c.worst.name)\(c.dense ? "" : ", sparse")\(counts.isEmpty ? "" : " (\(counts) frames)")"
                s +=
                    "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill(c.worst))\"\(c.dense ? "" : " fill-opacity=\"0.4\"") stroke=\"#999999\" stroke-width=\"0.5\">"
                s += "<title>\(xml(tip))</title></rect>\n"
            }
        }
        for (k, c) in MapClass.allCases.reversed().enumerated() {
            let y = legendTop + k * 18
            s +=
                "<rect x=\"10\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill(c))\" stroke=\"#999999\" stroke-width=\"0.5\"/>"
            s += "<text x=\"\(14 + cell)\" y=\"\(y + cell - 2)\">\(xml(meaning[c] ?? c.name))</text>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// What a cell is: "memory block (128 MiB)" or "2 MiB".
    static func unit(_ m: PhysMap) -> String {
        m.cellUnit == "block" ? "memory block (\(humanBytes(m.cellBytes)))" : m.cellUnit
    }

    /// The drawn lines: each row's cells `perLine` at a time, the row's label on its first.
    static func lines(_ m: PhysMap) -> [(label: String, cells: ArraySlice<MapCell>)] {
        var out: [(label: String, cells: ArraySlice<MapCell>)] = []
        for row in m.rows {
            var i = 0
            repeat {
                out.append((i == 0 ? row.label : "", row.cells[i..<min(i + perLine, row.cells.count)]))
                i += perLine
            } while i < row.cells.count
        }
        return out
    }

    /// Text as XML character data or an attribute value.
    static func xml(_ s: String) -> String {
        var out = ""
        for ch in TextRendering.esc(s).unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

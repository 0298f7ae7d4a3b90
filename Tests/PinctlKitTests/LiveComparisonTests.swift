import Testing

/// The masking live tests compare through (`LiveComparison`, `StableFlags`): outputs that
/// differ only in LRU state compare equal in every format; any other difference (a PFN, a
/// stable flag, a count, a line) still shows.
@Suite struct LiveComparisonTests {
    static let text = """
        pages:
        address           pages  state     pfn         mapcount memcg   pagemap / flags
        0x7f4acbd57000    1      present   0x247315    1        3599    [excl] uptodate,lru,mmap,anon,swapbacked,anon_exclusive
        0x7f4acbd58000    1      present   0x247297    1        3599    [excl] lru
        0x7f4acbd59000    3      absent    -           -        -       []
        summary: 5 pages (20 KiB): 2 present, 0 swapped, 3 not present
            flags uptodate=1 lru=2 mmap=1 anon=1 swapbacked=1 anon_exclusive=1
        """
    static let row =
        #"{"type":"page","address":"0x7f4acb600000","count":512,"present":true,"pfn":2265600,"#
        + #""flags":["uptodate","lru","mmap","anon","compound_head","thp"],"kpageflags":"0x40c828","mapcount":1}"#
    static let vma = #"{"type":"vma","start":"0x7f4acb600000","smaps":{"Pss":4194304,"Referenced":4194304,"Rss":4194304},"vmFlags":["rd"]}"#
    static let summary = #"{"type":"summary","present":1024,"flagCounts":{"anon":1024,"idle":512,"lru":1024,"thp":1024}}"#
    static let lines = [row, vma, summary].joined(separator: "\n")
    static let document = #"{"pid":1,"pages":[{"# + row.dropFirst(15) + ",{" + row.dropFirst(15) + #"],"summary":{"flagCounts":{"lru":2}}}"#

    /// Both ways of comparing agree: every line stripped, and only the lines that differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let whole = LiveComparison.firstDifference(LiveComparison.inspectLines(a), LiveComparison.inspectLines(b)) == nil
        #expect(whole == (LiveComparison.inspectDifference(a, b) == nil))
        return whole
    }

    @Test func lruStateDifferencesCompareEqual() {
        let idleText = Self.text.replacingOccurrences(of: "[excl] lru", with: "[excl] referenced,lru,active,idle")
            .replacingOccurrences(of: "uptodate,lru,mmap", with: "uptodate,mmap").replacingOccurrences(of: "lru=2", with: "lru=1 idle=2")
        #expect(Self.same(Self.text, idleText))
        let idleLines = Self.lines.replacingOccurrences(of: #""lru","mmap""#, with: #""mmap","idle""#)
            .replacingOccurrences(of: "0x40c828", with: "0x240c808").replacingOccurrences(
                of: #""Referenced":4194304"#, with: #""Referenced":0"#
            )
            .replacingOccurrences(of: #""idle":512,"#, with: "")
        #expect(Self.same(Self.lines, idleLines))
        let idleDocument = Self.document.replacingOccurrences(of: #""lru","mmap""#, with: #""mmap""#)
            .replacingOccurrences(of: #"{"lru":2}"#, with: #"{"lru":1,"idle":2}"#)
        #expect(Self.same(Self.document, idleDocument))
    }

    @Test func everyOtherDifferenceShows() {
        for (from, to) in [
            ("0x247297", "0x247298"), ("[excl] lru", "[excl] dirty"), ("3      absent", "4      absent"), ("anon=1", "anon=2"),
            ("[excl] uptodate", "[] uptodate"),
        ] {
            #expect(!Self.same(Self.text, Self.text.replacingOccurrences(of: from, with: to)), "\(from) -> \(to)")
        }
        #expect(!Self.same(Self.text, Self.text.split(separator: "\n").dropLast(2).joined(separator: "\n")))
        for (from, to) in [
            ("2265600", "2265601"), (#""thp"]"#, #""thp","dirty"]"#), ("0x40c828", "0x40c838"), (#""Pss":4194304"#, #""Pss":0"#),
            (#""anon":1024"#, #""anon":1023"#), (#""count":512"#, #""count":511"#),
        ] {
            #expect(!Self.same(Self.lines, Self.lines.replacingOccurrences(of: from, with: to)), "\(from) -> \(to)")
        }
        #expect(!Self.same(Self.document, Self.document.replacingOccurrences(of: "2265600", with: "2265601")))
    }
}

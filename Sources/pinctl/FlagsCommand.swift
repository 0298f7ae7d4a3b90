import ArgumentParser
import PinctlKit
import PinctlRender

struct Flags: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flags",
        abstract: "Describe page flags as page-types -d does: the word, its letters and its names.",
        discussion: """
            Each FLAGS is a comma list of flag names (page-types' or inspect's: lru, anonymous or \
            anon, mlocked, compound, ...), prefixes, bitN or numbers (0x60), ORed; the line printed \
            is page-types -d's: the word in hex, one letter per named bit, the names set. The word \
            is the one --flags matches on inspect, phys and census --deep (page-types -r's). \
            --json prints an array of {word, letters, names}.
              pinctl flags lru,active       0x0000000000000060  _____lA___...  lru,active
              pinctl flags 0x19000          anonymous,compound_head,compound_tail
            """)

    @Argument(help: ArgumentHelp("Flag names or numbers, comma-separated.", valueName: "flags"))
    var expressions: [String]

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if expressions.isEmpty { throw ValidationError("give at least one FLAGS, such as lru,active or 0x60") }
    }

    func run() throws {
        do {
            var out: [PageFlagDescription] = []
            for e in expressions { out.append(try PageFlagDescription.describe(e)) }
            if output.json {
                print(try renderJSON(out))
            } else {
                for d in out { print(d.pageTypesLine) }
            }
        } catch let e as PinctlError {
            throw fail(e)
        }
    }
}

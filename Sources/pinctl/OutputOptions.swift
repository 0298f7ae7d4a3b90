import ArgumentParser

/// `--json`, shared by every command that prints a report: the report, and any error, as
/// JSON on stdout.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the report as JSON; an error is then a JSON object on stdout too.")
    var json = false
}

/// The output options of words that did not parse as a command, so that a usage error
/// still takes the form the user asked for. ArgumentParser reads them, by its own rules
/// (`--` ends the options), and leaves every other word alone.
struct OutputProbe: ParsableArguments {
    @OptionGroup var output: OutputOptions

    /// Declared by `inspect` and `phys`, whose help describes their records.
    @Flag(name: .long, help: .hidden)
    var jsonLines = false

    @Argument(parsing: .allUnrecognized, help: .hidden)
    var other: [String] = []

    /// The error form `words` ask for, or nil (text only) when they ask for none or cannot
    /// be read even this far.
    static func form(_ words: [String]) -> Pinctl.JSONErrorForm? {
        guard let probe = try? parse(words) else { return nil }
        return probe.output.json ? .json : probe.jsonLines ? .jsonLines : nil
    }
}

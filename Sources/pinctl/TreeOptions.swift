import ArgumentParser
import PinctlKit

/// The tree walk's options, shared by `files` and `pin file:DIR` (vmtouch's -i, -I, -m, -f, -F).
struct TreeOptions: ParsableArguments {
    @Option(
        name: [.customShort("i"), .long],
        help: ArgumentHelp("Leave out files and directories whose name matches PATTERN (repeatable).", valueName: "pattern"))
    var ignore: [String] = []

    @Option(
        name: [.customShort("I"), .long],
        help: ArgumentHelp("Take only files whose name matches PATTERN (repeatable).", valueName: "pattern"))
    var include: [String] = []

    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Skip files larger than SIZE (K, M, G).", valueName: "size"))
    var maxSize: String?

    @Flag(name: [.customShort("f"), .long], help: "Follow symbolic links (off: links are never opened or entered).")
    var follow = false

    @Flag(name: [.customShort("F"), .long], help: "Do not enter directories on another file system than their argument.")
    var oneFileSystem = false

    func validate() throws {
        if let maxSize, NumberParsing.parseSize(Substring(maxSize)) == nil {
            throw ValidationError("-m '\(maxSize)' is not a size: write e.g. 4096, 64K, 100M or 1G")
        }
    }

    var walkOptions: TreeWalkOptions {
        var options = TreeWalkOptions()
        options.patterns = FileNamePatterns(ignore: ignore, include: include)
        options.maxFileSize = maxSize.flatMap { NumberParsing.parseSize(Substring($0)) }
        options.followSymlinks = follow
        options.oneFileSystem = oneFileSystem
        return options
    }

    /// Whether any option was given (they apply to file:DIR ranges only).
    var given: Bool { !ignore.isEmpty || !include.isEmpty || maxSize != nil || follow || oneFileSystem }
}

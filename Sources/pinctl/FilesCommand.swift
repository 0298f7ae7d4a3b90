import ArgumentParser
import PinctlKit
import PinctlRender

struct Files: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Show how much of files and directory trees is in the page cache, without reading or mapping-and-faulting them.",
        discussion: """
            Per file and in total: cached, dirty, under-writeback, evicted and recently evicted pages, \
            from cachestat(2) (Linux 6.5+); before 6.5, cached pages only, from mincore(2) on a mapping \
            that is never touched. Directories are walked recursively, names opened relative to their \
            directory (openat), never through a symbolic link unless -f; FIFOs, sockets and devices are \
            never opened. Hard-linked files count once. Patterns (-i, -I) are fnmatch patterns on the \
            last name of a path, as vmtouch's: -i leaves out files and directories, -I keeps only the \
            files that match (directories are still entered). --json is streamed, the totals last.
            Exit status: 0; 64 for bad options (2 for a bad pattern); 9 when the report is printed but some paths could not \
            be examined (each named on stderr). Paths skipped by a rule (links, FIFOs, devices, -m, \
            -F) get a line on stderr (not with --quiet) and do not change the status.
            """)

    @Argument(help: "Files and directories.")
    var paths: [String] = []

    @Option(
        name: .customLong("from"),
        help: ArgumentHelp("Read the paths from FILE (- for stdin), one a line, after any given as arguments.", valueName: "file"))
    var from: String?

    @Flag(name: [.customShort("0"), .customLong("null")], help: "The --from list is NUL-separated (find -print0).")
    var nulSeparated = false

    @OptionGroup var tree: TreeOptions

    @Flag(name: [.customShort("e"), .long], help: "Evict the files' clean page cache (POSIX_FADV_DONTNEED); report what stayed and why.")
    var evict = false

    @Flag(name: [.customShort("s"), .long], help: "Print the totals only.")
    var summary = false

    @Flag(name: [.customShort("q"), .long], help: "No line on stderr for paths skipped by a rule.")
    var quiet = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if paths.isEmpty && from == nil { throw ValidationError("give files or directories, or --from FILE with their paths") }
        if nulSeparated && from == nil { throw ValidationError("-0 says how the --from list is separated: add --from FILE") }
        if output.json && summary {
            throw ValidationError("--summary is for the text report: --json always has the totals (under \"total\")")
        }
    }

    func run() throws {
        do {
            var scan = FilesScan(walk: tree.walkOptions)
            scan.evict = evict
            let list = try from.map { (f) throws(PinctlError) in try PathList(path: f, nulSeparated: nulSeparated) }
            var given = paths[...]
            let next = { () throws(PinctlError) -> String? in
                if let path = given.popFirst() { return path }
                return try list?.next()
            }
            let status: Int32
            if output.json {
                var sink = FilesJSONWriter()
                do { status = try scan.run(next: next, into: &sink) } catch { throw fail(error, onStdout: sink.fail(error)) }
            } else {
                var sink = FilesTextWriter(summaryOnly: summary, quiet: quiet, evict: evict)
                do { status = try scan.run(next: next, into: &sink) } catch { throw fail(error, onStdout: sink.fail(error)) }
            }
            if status != ExitStatus.ok { throw ExitCode(status) }
        } catch let e as PinctlError {
            throw fail(e)
        }
    }
}

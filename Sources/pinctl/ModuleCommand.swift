import ArgumentParser
import PinctlKit
import PinctlRender

struct Module: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Show, load or unload the optional KernelHelper module (/dev/pinctl).",
        subcommands: [Status.self, Load.self, Unload.self, Bench.self],
        defaultSubcommand: Status.self)

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether the module is loaded, and its ABI.")

        @OptionGroup var output: OutputOptions

        func run() throws {
            do {
                let s = try ModuleControl.status()
                print(output.json ? try renderJSON(s) : TextRendering.render(s), terminator: output.json ? "\n" : "")
            } catch let e as PinctlError {
                throw fail(e)
            }
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load", abstract: "Load the module from PATH, or the one DKMS installed for this kernel.")

        @Argument(
            help:
                "A pinctl.ko built for the running kernel: a regular file owned by root (or you) that neither its group nor others can write."
        )
        var path: String?

        func run() throws {
            do {
                print(TerminalEscaping.escape(try ModuleControl.load(path: path)))
            } catch {
                throw fail(error)
            }
        }
    }

    struct Unload: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unload", abstract: "Unload the module (refused while /dev/pinctl is open).")

        func run() throws {
            do {
                print(TerminalEscaping.escape(try ModuleControl.unload()))
            } catch {
                throw fail(error)
            }
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Time the kernel's own pin and unpin of a range (BENCH, as mm/gup_test.c) beside pinctl's PIN and UNPIN ioctls.")

        @Argument(help: "What to map, populate and pin, as for `pinctl pin` (anon:1G, anon:1G,thp, memfd:64M, ...).")
        var range: String

        @Flag(name: .long, help: "Populate for write and pin with FOLL_WRITE.")
        var write = false

        @Flag(name: .long, inversion: .prefixedNo, help: "FOLL_LONGTERM (the default).")
        var longterm = true

        @Flag(name: .long, help: "get_user_pages (FOLL_GET references, never long-term) instead of pin_user_pages.")
        var get = false

        @Flag(name: .long, inversion: .prefixedNo, help: "The _fast variant (the default); --no-fast takes the mmap lock.")
        var fast = true

        @Option(name: .long, help: "Iterations (1-\(KernelBench.maxIterations)); medians are reported.")
        var iterations = "5"

        @OptionGroup var output: OutputOptions

        func run() throws {
            var o = KernelBench.Options()
            o.write = write
            o.longterm = longterm
            o.get = get
            o.fast = fast
            let r: KernelBenchReport
            do {
                o.iterations = try KernelBench.parseIterations(iterations)
                r = try KernelBench.run(try PinRangeSpec.parse(range), o)
            } catch {
                throw fail(error)
            }
            print(output.json ? try renderJSON(r) : TextRendering.render(r), terminator: output.json ? "\n" : "")
        }
    }
}

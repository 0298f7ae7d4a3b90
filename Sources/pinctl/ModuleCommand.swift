import ArgumentParser
import PinctlKit

struct Module: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Show, load or unload the optional KernelHelper module (/dev/pinctl).",
        subcommands: [Status.self, Load.self, Unload.self],
        defaultSubcommand: Status.self)

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether the module is loaded, and its ABI.")

        @Flag(name: .long, help: "Print as JSON.")
        var json = false

        func run() throws {
            do {
                let s = try ModuleControl.status()
                print(json ? try renderJSON(s) : TextRendering.render(s), terminator: json ? "\n" : "")
            } catch let e as PinctlError {
                throw fail(e)
            }
        }
    }

    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "load", abstract: "Load the module from PATH, or the one DKMS installed for this kernel.")

        @Argument(help: "A pinctl.ko built for the running kernel.")
        var path: String?

        func run() throws {
            do {
                print(try ModuleControl.load(path: path))
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
                print(try ModuleControl.unload())
            } catch {
                throw fail(error)
            }
        }
    }
}

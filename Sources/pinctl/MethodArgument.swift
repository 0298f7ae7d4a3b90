import ArgumentParser
import PinctlKit

/// `pin --method`: a pin method, or `auto`. ArgumentParser lists the values in help and
/// completions and refuses any other as a usage error.
enum MethodArgument: String, CaseIterable, ExpressibleByArgument {
    case populate, mlock, iouring, uffd, kmod, auto

    var choice: PinMethodChoice {
        PinMethod(rawValue: rawValue).map(PinMethodChoice.method) ?? .auto
    }

    static var allValueDescriptions: [String: String] {
        [
            "populate": "Faults in, pins nothing.",
            "mlock": "Resident, unevictable, movable.",
            "iouring": "Long-term FOLL_PIN by registered buffers.",
            "uffd": "Userfaultfd-populated.",
            "kmod": "Pinned by the KernelHelper module (/dev/pinctl), long-term unless --no-longterm.",
            "auto": "The strongest the range and kernel allow.",
        ]
    }
}

/// The census section "pins held through /dev/pinctl": each open file of pinctl's module with
/// its opener and the pins it holds (the module's LIST), so that pins whose target has exited,
/// which no process's VmPin counts any more, are still attributed.
public struct KernelHelperPins: Codable, Sendable, Equatable {
    /// Open files that hold pins, by file id.
    public var files: [KernelHelperFile]
    /// Listed with CAP_SYS_ADMIN: every file and pin of the machine. Otherwise only the
    /// caller's uid's.
    public var complete: Bool
    /// FOLL_PIN pages of the listed pins (FOLL_GET references are not FOLL_PIN).
    public var follPinPages: UInt64
    /// Of `follPinPages`, those whose target is no census row: the module charges a pin to the
    /// target's VmPin, which a row already attributes; a pin whose target exited (or is not
    /// visible in this pid namespace) is attributed here.
    public var follPinPagesOutsideRows: UInt64

    /// Lists the module's pins; nil (and no line) when the module is not loaded, nil and one
    /// line for `missingSources` when it cannot be asked.
    static func read(rowPIDs: Set<Int32>) -> (KernelHelperPins?, missing: String?) {
        let helper: KernelHelper?
        do {
            helper = try KernelHelper.open()
        } catch {
            return (nil, "pinctl module: \(error.description): pins held through /dev/pinctl are not listed")
        }
        guard let helper else { return (nil, nil) }
        let listing: KernelPinListing
        do {
            listing = try helper.listPins()
        } catch {
            return (nil, "pinctl module: \(error.description): pins held through /dev/pinctl are not listed")
        }
        let files = listing.files.filter { !$0.pins.isEmpty }
        var total: UInt64 = 0
        var outside: UInt64 = 0
        for pin in files.flatMap(\.pins) where pin.isFollPin {
            total &+= pin.pages
            if pin.targetPID.map({ !rowPIDs.contains($0) }) ?? true { outside &+= pin.pages }
        }
        let note =
            listing.complete
            ? nil : "pinctl module: without CAP_SYS_ADMIN only this user's pins through /dev/pinctl are listed (run as root)"
        return (KernelHelperPins(files: files, complete: listing.complete, follPinPages: total, follPinPagesOutsideRows: outside), note)
    }
}

// A command's work uses the layers below it, and the executable sees them through this one.
@_exported import PinctlKernel

// The kernel-file readers and the module client are written against the system layer.
@_exported import PinctlSystem

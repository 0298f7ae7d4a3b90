// The renderers format the reports that PinctlKit builds.
@_exported import PinctlKit

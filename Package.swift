// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pinctl",
    products: [
        .executable(name: "pinctl", targets: ["pinctl"]),
        .library(name: "PinctlKit", targets: ["PinctlKit", "PinctlRender"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // What Swift cannot call: syscall(), ioctl(), request-number macros and the
        // uapi structs that the installed 6.1 headers lack.
        .target(
            name: "CPinctl",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The layers of pinctl's logic, lowest first; each target uses only the ones below it.
        // System calls, errno as typed errors, descriptors, signals, clocks, text escaping.
        .target(
            name: "PinctlSystem",
            dependencies: ["CPinctl"]
        ),
        // Kernel files (/proc, /sys, pagemap, kpageflags, netlink) and the /dev/pinctl client.
        .target(
            name: "PinctlKernel",
            dependencies: ["PinctlSystem", "CPinctl"]
        ),
        // What each command does: inspect, pin, census, phys, files; reports as plain values.
        .target(
            name: "PinctlKit",
            dependencies: ["PinctlKernel", "PinctlSystem", "CPinctl"]
        ),
        // Every command's renderers: text, JSON and the census's OpenMetrics exposition.
        .target(
            name: "PinctlRender",
            dependencies: [
                "PinctlKit",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line: parses, calls PinctlKit, renders with PinctlRender.
        .executableTarget(
            name: "pinctl",
            dependencies: [
                "PinctlKit",
                "PinctlRender",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A plain C process that maps and touches memory in known ways, so live tests and
        // benchmarks can inspect another pid whose layout they know.
        .executableTarget(
            name: "pinctl-test-holder",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // A FUSE file system over /dev/fuse that stops answering, holding one file open in a
        // child: the hostile-host tests' hung NFS server or stopped FUSE daemon.
        .executableTarget(
            name: "pinctl-test-fuse",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .testTarget(
            name: "PinctlKitTests",
            dependencies: ["PinctlSystem", "PinctlKernel", "PinctlKit", "PinctlRender"],
            exclude: ["Fixtures"]
        ),
    ]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pinctl",
    products: [
        .executable(name: "pinctl", targets: ["pinctl"]),
        .library(name: "PinctlKit", targets: ["PinctlKit"]),
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
        // All of pinctl's logic: /proc readers, decoders, the inspector and the renderers.
        .target(
            name: "PinctlKit",
            dependencies: [
                "CPinctl",
                // The census's --openmetrics exposition.
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line: parses, calls PinctlKit, renders.
        .executableTarget(
            name: "pinctl",
            dependencies: [
                "PinctlKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A plain C process that maps and touches memory in known ways, so live tests and
        // benchmarks can inspect another pid whose layout they know.
        .executableTarget(
            name: "pinctl-test-holder",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .testTarget(
            name: "PinctlKitTests",
            dependencies: ["PinctlKit"],
            exclude: ["Fixtures"]
        ),
    ]
)

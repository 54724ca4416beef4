// swift-tools-version:6.0
//
// libFuzzer targets for Kiln's input decoders. Built apart from the main
// package because every module must be compiled with -sanitize=fuzzer; see
// README.md here for the one command that builds and runs them.

import PackageDescription

let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "KilnFuzz",
    dependencies: [.package(name: "Kiln", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzPprofDecode",
            dependencies: ["FuzzSupport", .product(name: "KilnPprof", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzWALSegment",
            dependencies: [
                "FuzzSupport",
                .product(name: "KilnFormat", package: "Kiln"),
                .product(name: "KilnHead", package: "Kiln"),
            ],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzColumnarFile",
            dependencies: ["FuzzSupport", .product(name: "KilnBytes", package: "Kiln"), .product(name: "KilnFormat", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzCacheChunk",
            dependencies: ["FuzzSupport", .product(name: "KilnBytes", package: "Kiln"), .product(name: "KilnFormat", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzJSONDocuments",
            dependencies: ["FuzzSupport", .product(name: "KilnStorage", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzJFRRecording",
            dependencies: ["FuzzSupport", .product(name: "KilnJFR", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzArrowStream",
            dependencies: ["FuzzSupport", .product(name: "KilnArrow", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzSelectorParse",
            dependencies: ["FuzzSupport", .product(name: "KilnModel", package: "Kiln")],
            swiftSettings: fuzzerFlags
        ),
    ]
)

// swift-tools-version:6.0
//
// Kiln — a continuous-profiling database.
//
// Linux only: the storage, kernel and sampler code calls Glibc directly.
//
// Layering (see docs/ARCHITECTURE.md): the pure modules at the bottom do no
// I/O (model, byte primitives, compression codecs, pprof, the on-disk formats, ingest
// normalisation, the head's data structures and the query kernels, Arrow); above them the I/O modules (KilnCurl, the only HTTP
// client; KilnStorage: WAL, head, blocks, object stores; KilnQuery, the query
// engine over it; KilnServer, the HTTP APIs on Hummingbird); the executables
// on top. tools/check-imports.py keeps every target's imports and declared
// dependencies equal.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "Kiln",
    products: [
        .executable(name: "kiln", targets: ["kiln"]),
        .executable(name: "kiln-bench", targets: ["kiln-bench"]),
        .executable(name: "kiln-inspect", targets: ["kiln-inspect"]),
        .library(name: "KilnPprof", targets: ["KilnPprof"]),
        .library(name: "KilnModel", targets: ["KilnModel"]),
        .library(name: "KilnBytes", targets: ["KilnBytes"]),
        .library(name: "KilnJFR", targets: ["KilnJFR"]),
        .library(name: "KilnArrow", targets: ["KilnArrow"]),
        .library(name: "KilnFormat", targets: ["KilnFormat"]),
        .library(name: "KilnHead", targets: ["KilnHead"]),
        .library(name: "KilnStorage", targets: ["KilnStorage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // MARK: - System libraries

        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // MARK: - Pure libraries (no I/O)

        .target(name: "KilnCompression", dependencies: ["CDeflate", "CLZ4", "CZstd"], swiftSettings: swiftSettings),
        .target(name: "KilnModel", swiftSettings: swiftSettings),
        .target(name: "KilnPprof", dependencies: ["KilnCompression", "KilnBytes"], swiftSettings: swiftSettings),
        .target(
            name: "KilnProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["proto"],
            swiftSettings: swiftSettings
        ),
        // Kernels needing CPU instructions Swift cannot name (hardware CRC32C).
        .target(name: "CKilnKernels"),
        // Byte primitives under the pprof codec and the formats: varints, fixed widths, CRC32C, bounds-checked reads.
        .target(name: "KilnBytes", dependencies: ["CKilnKernels"], swiftSettings: swiftSettings),
        .target(name: "KilnFormat", dependencies: ["KilnModel", "KilnCompression", "KilnBytes"], swiftSettings: swiftSettings),
        // The JFR reader: hand-written (no Swift library exists), pure, chunk by chunk.
        .target(name: "KilnJFR", swiftSettings: swiftSettings),
        .target(
            name: "KilnIngest", dependencies: ["KilnModel", "KilnPprof", "KilnFormat", "KilnJFR", "KilnArrow"], swiftSettings: swiftSettings),
        // The head's data structures (symbol and stack tables, series index,
        // sample columns, WAL replay) and the query kernels over them (stack
        // totals, call-site filter, flame graph, pprof merge).
        .target(
            name: "KilnHead", dependencies: ["KilnModel", "KilnPprof", "KilnIngest", "KilnFormat"], swiftSettings: swiftSettings),
        // OTLP profiles (opentelemetry-proto's generated messages) as pprof profiles and series labels.
        .target(name: "KilnOTLP", dependencies: ["KilnModel", "KilnPprof", "KilnProto", "KilnIngest"], swiftSettings: swiftSettings),
        // Arrow IPC stream writer (Parca's flame graph payload) and reader (Parca Agent's WriteArrow).
        .target(name: "KilnArrow", dependencies: ["KilnCompression"], swiftSettings: swiftSettings),

        // MARK: - I/O libraries

        .target(name: "KilnCurl", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        // The SIGPROF sampler and heap sampler of Kiln's self-profiling (signal handler, malloc interposition).
        .target(name: "CKilnSampler"),
        .target(
            name: "KilnStorage",
            dependencies: [
                "KilnModel", "KilnIngest", "KilnBytes", "KilnFormat", "KilnHead", "KilnCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "KilnQuery",
            dependencies: ["KilnModel", "KilnPprof", "KilnFormat", "KilnHead", "KilnStorage", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "KilnServer",
            dependencies: [
                "KilnModel", "KilnPprof", "KilnProto", "KilnIngest", "KilnOTLP", "KilnHead", "KilnStorage", "KilnQuery", "KilnCompression",
                "KilnArrow",
                "KilnCurl",
                "CKilnSampler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Executables

        .executableTarget(
            name: "kiln",
            dependencies: [
                "KilnServer", "KilnStorage", "KilnIngest", "KilnModel",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings,
            // The dynamic symbol table names Kiln's own functions in its
            // self-profile (`SelfProfiler` symbolises with dladdr).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .executableTarget(
            name: "kiln-bench",
            dependencies: [
                "KilnPprof", "KilnProto", "KilnCompression", "KilnModel", "KilnIngest", "KilnJFR", "KilnHead", "KilnStorage", "KilnBytes",
                "KilnFormat", "KilnOTLP", "KilnArrow",
                "KilnQuery",
                "KilnCurl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "kiln-inspect",
            dependencies: [
                "KilnStorage", "KilnHead", "KilnBytes", "KilnFormat", "KilnModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests

        .target(
            name: "KilnTestSupport",
            dependencies: ["KilnCurl", "KilnPprof", "KilnStorage"],
            path: "Tests/KilnTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "KilnCompressionTests", dependencies: ["KilnCompression", "KilnTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "KilnCurlTests", dependencies: ["KilnCurl", "KilnTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "KilnModelTests", dependencies: ["KilnModel"], swiftSettings: swiftSettings),
        .testTarget(name: "KilnBytesTests", dependencies: ["KilnBytes"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KilnOTLPTests", dependencies: ["KilnOTLP", "KilnIngest", "KilnProto", "KilnPprof", "KilnModel"], swiftSettings: swiftSettings),
        .testTarget(name: "KilnJFRTests", dependencies: ["KilnJFR", "KilnCompression", "KilnTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "KilnFormatTests", dependencies: ["KilnFormat", "KilnBytes", "KilnTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KilnPprofTests",
            dependencies: [
                "KilnPprof", "KilnProto", "KilnCompression", "KilnTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KilnIngestTests",
            dependencies: ["KilnIngest", "KilnJFR", "KilnArrow", "KilnModel", "KilnPprof", "KilnBytes", "KilnFormat", "KilnTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KilnHeadTests", dependencies: ["KilnHead", "KilnIngest", "KilnModel", "KilnPprof", "KilnTestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KilnStorageTests",
            dependencies: [
                "KilnStorage", "KilnHead", "KilnIngest", "KilnModel", "KilnPprof", "KilnBytes", "KilnFormat", "KilnTestSupport",
                // The witness of the block, cut and compaction tests: the engine's answers over a block equal those over its head.
                "KilnQuery",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "KilnArrowTests", dependencies: ["KilnArrow", "KilnTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KilnQueryTests",
            dependencies: [
                "KilnQuery", "KilnHead", "KilnStorage", "KilnIngest", "KilnModel", "KilnPprof", "KilnTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KilnServerTests",
            dependencies: [
                "KilnProto", "KilnTestSupport", "KilnPprof", "KilnModel", "KilnCompression", "KilnCurl", "KilnStorage", "KilnIngest", "KilnServer",
                "KilnBytes",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The daemon's command line and config file (`@testable import kiln`).
        .testTarget(name: "kilnTests", dependencies: ["kiln", "KilnServer", "KilnTestSupport"], swiftSettings: swiftSettings),
    ]
)

// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "pvtop",
    products: [
        .executable(name: "pvtop", targets: ["pvtop"]),
        .library(name: "PVRecord", targets: ["PVRecord"]),
        .library(name: "PVReplay", targets: ["PVReplay"]),
        .library(name: "PVDashboard", targets: ["PVDashboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // zlib + liblzma for transparent .gz / .xz trace input.
        .systemLibrary(name: "CDecompress", path: "Sources/CDecompress",
                       providers: [.apt(["zlib1g-dev", "liblzma-dev"])]),
        // ncursesw: the only C the dashboard touches; shim.h wraps macros and globals.
        .systemLibrary(name: "CNCurses", path: "Sources/CNCurses",
                       providers: [.apt(["libncurses-dev"])]),
        // libtracecmd + libtraceevent + libtracefs (trace-cmd 3.1.6, libtraceevent 1.7.1,
        // libtracefs 1.6.4 on Debian 12): trace.dat in and out, event formats, tracefs instances.
        .systemLibrary(name: "CTraceCmd", path: "Sources/CTraceCmd", pkgConfig: "libtracecmd",
                       providers: [.apt(["libtracecmd-dev", "libtraceevent-dev", "libtracefs-dev"])]),
        // Reading and inspecting traces: no side effects beyond opening the input.
        .target(name: "PVTrace", dependencies: ["CDecompress", "CTraceCmd"]),
        // Making traces: tracefs instances, child processes, signals, the recorder, the
        // synthetic workloads and the live sources (which read what they record).
        .target(name: "PVRecord", dependencies: ["PVTrace", "CTraceCmd"]),
        .target(name: "PVKernel", dependencies: [
            "PVTrace",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], resources: [.copy("Profiles")]),
        .target(name: "PVReplay", dependencies: [
            "PVTrace", "PVKernel",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .target(name: "PVDashboard", dependencies: [
            "PVReplay", "PVKernel",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .executableTarget(name: "pvtop", dependencies: [
            "PVTrace", "PVRecord", "PVKernel", "PVReplay", "PVDashboard", "CNCurses",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "PVTraceTests", dependencies: ["PVTrace"], resources: [.copy("Fixtures")]),
        .testTarget(name: "PVRecordTests", dependencies: ["PVRecord", "PVTrace"]),
        .testTarget(name: "PVKernelTests", dependencies: ["PVKernel", "PVTrace"]),
        .testTarget(name: "PVReplayTests", dependencies: ["PVReplay", "PVKernel", "PVTrace", "PVRecord"]),
        .testTarget(name: "PVDashboardTests", dependencies: ["PVDashboard", "PVReplay", "PVKernel"]),
        // Depends on the executable so `swift test` builds the binary it drives.
        .testTarget(name: "EndToEndTests", dependencies: ["pvtop", "PVRecord"]),
    ]
)

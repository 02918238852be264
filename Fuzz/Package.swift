// swift-tools-version: 6.0
// A libFuzzer target over pvtop's reader, kernel expansion, backends and headless loop. A
// package of its own so `swift build` of pvtop never sees -sanitize=fuzzer; run.sh builds it.
import PackageDescription

let package = Package(
    name: "pvtop-fuzz",
    // `pvtop` is a symlink to the repository: a path dependency is named by its last component.
    dependencies: [.package(path: "pvtop")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "TraceFuzz", dependencies: ["FuzzDriver", .product(name: "PVReplay", package: "pvtop")]),
    ]
)

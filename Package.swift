// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "joold-supervisor",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "joold", targets: ["joold"]),
        .executable(name: "joold-supervisor", targets: ["joold-supervisor"]),
        .executable(name: "joold-worker", targets: ["joold-worker"]),
        .executable(name: "jooldctl", targets: ["jooldctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // System libraries from the design card (Debian: libmnl-dev, libjansson-dev).
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        // Plain C wrappers for the Linux calls and macros Glibc's Swift module does not expose.
        .target(name: "CShim", dependencies: ["CMnl", "CJansson"]),
        // Wire formats (netlink, Jool header, session records) and configuration files.
        .target(name: "Shared", dependencies: ["CMnl", "CJansson", "CShim"]),
        // The sync worker: event loop, kernel link, network link, stats, relay.
        .target(name: "SyncEngine", dependencies: [
            "Shared", "CShim", "CMnl",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The supervisor's control protocol (docs/control-protocol.md), both sides.
        .target(name: "ControlProtocol", dependencies: ["Shared"]),
        // A worker process as the supervisor runs it: namespace, waiting, reports.
        .target(name: "WorkerMode", dependencies: [
            "SyncEngine", "ControlProtocol", "Shared", "CShim",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "joold-worker", dependencies: [
            "WorkerMode", "SyncEngine",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The supervisor's control server: the Unix socket, access control, framing.
        .target(name: "SupervisorCore", dependencies: [
            "ControlProtocol", "Shared", "SyncEngine", "CShim",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "joold-supervisor", dependencies: [
            "SupervisorCore", "ControlProtocol", "SyncEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The stock joold command line (both forms) turned into a WorkerConfiguration.
        .target(name: "JooldCommandLine", dependencies: ["SyncEngine", "Shared"]),
        // Drop-in replacement for the stock joold.
        .executableTarget(name: "joold", dependencies: ["JooldCommandLine", "SyncEngine"]),
        // jooldctl, the operator's command line for the supervisor: commands, client, formatting.
        .target(name: "JooldctlCommands", dependencies: [
            "ControlProtocol", "Shared", "CShim",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "jooldctl", dependencies: ["JooldctlCommands"]),
        // A stand-in for the Jool kernel module (its netlink bytes over a Unix socket),
        // for host tests and benchmarks.
        .target(name: "JoolSimulator", dependencies: ["Shared"]),
        // Benchmarks (scripts/bench, docs/benchmarks.md): not part of the test suite.
        // The lean C driver that plays the kernel at full speed, the floor loop, and the
        // command that runs them against the real release binaries.
        .target(name: "CBenchDriver"),
        .executableTarget(name: "joold-bench-floor"),
        .executableTarget(name: "joold-bench", dependencies: [
            "CBenchDriver", "JoolSimulator", "NetworkTestSupport", "SyncEngine", "Shared",
        ]),
        // Real network namespaces and veth pairs, real users and groups, and a log recorder
        // for the host tests.
        .target(name: "NetworkTestSupport", dependencies: [
            "SyncEngine", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/NetworkTestSupport"),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        .testTarget(name: "ControlProtocolTests", dependencies: ["ControlProtocol", "Shared"]),
        .testTarget(name: "SyncEngineTests", dependencies: ["SyncEngine", "Shared", "NetworkTestSupport", "JoolSimulator"]),
        // Real joold processes in real namespaces, each with a simulated Jool kernel.
        .testTarget(name: "IntegrationTests", dependencies: ["SyncEngine", "Shared", "JoolSimulator", "NetworkTestSupport"]),
        .testTarget(name: "SupervisorCoreTests", dependencies: ["SupervisorCore", "ControlProtocol", "Shared", "SyncEngine", "NetworkTestSupport"]),
        .testTarget(name: "JooldCommandLineTests", dependencies: ["JooldCommandLine", "SyncEngine", "Shared"]),
        // jooldctl against a fake supervisor (in-process, and the built binary).
        .testTarget(name: "JooldctlTests", dependencies: ["JooldctlCommands", "ControlProtocol", "Shared", "NetworkTestSupport"]),
        .testTarget(name: "SupervisorTests", dependencies: ["ControlProtocol", "Shared", "JoolSimulator", "NetworkTestSupport", "SyncEngine"]),
    ]
)

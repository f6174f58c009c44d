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
        // System libraries (Debian: libmnl-dev, libjansson-dev).
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        // Plain C wrappers for the Linux calls and macros Glibc's Swift module does not expose.
        .target(name: "CShim", dependencies: ["CMnl", "CJansson"]),

        // The dependency rule (docs/architecture.md): a module imports only modules listed
        // above it in this file, and C modules. From the bottom up:
        //   LinuxRuntime   system calls, event loop, clock, errors, socket addresses,
        //                  namespace thread, process I/O, syslog
        //   Netlink        netlink messages and attributes (libmnl), kernel error replies
        //   JoolWire       Jool's header, constants, requests, session formats F1/F2/F3,
        //                  datagram validation, the daemon's counters
        //   Configuration  JSON (jansson), joold's JSON files, the resolved worker settings
        //   Relay          one sync worker: kernel link, multicast socket, advertiser, stats
        //   ControlProtocol  supervisor <-> jooldctl and supervisor <-> worker messages
        //   WorkerMode, SupervisorCore, JooldCommandLine, JooldctlCommands: the programs' logic
        .target(name: "LinuxRuntime", dependencies: [
            "CShim", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Netlink", dependencies: ["CMnl", "CShim"]),
        .target(name: "JoolWire", dependencies: ["Netlink", "CMnl"]),
        .target(name: "Configuration", dependencies: ["JoolWire", "LinuxRuntime", "CJansson", "CShim"]),
        // The sync worker: kernel link, network link, stats server, relay, advertiser.
        .target(name: "Relay", dependencies: [
            "LinuxRuntime", "Netlink", "JoolWire", "Configuration", "CShim", "CMnl",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The supervisor's control protocol (docs/control-protocol.md), both sides, and the
        // supervisor <-> worker messages with the channel both ends send them on (hence
        // LinuxRuntime: its system calls).
        .target(name: "ControlProtocol", dependencies: ["JoolWire", "Configuration", "LinuxRuntime"]),
        // A worker process as the supervisor runs it: namespace, waiting, reports.
        .target(name: "WorkerMode", dependencies: [
            "Relay", "ControlProtocol", "LinuxRuntime", "JoolWire", "Configuration", "CShim",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "joold-worker", dependencies: [
            "WorkerMode", "LinuxRuntime",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The supervisor: worker lifecycle, state file, the control server (the Unix
        // socket, access control, framing).
        .target(name: "SupervisorCore", dependencies: [
            "ControlProtocol", "LinuxRuntime", "JoolWire", "Configuration", "CShim",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "joold-supervisor", dependencies: [
            "SupervisorCore", "ControlProtocol", "LinuxRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The stock joold command line (both forms) turned into a WorkerConfiguration.
        .target(name: "JooldCommandLine", dependencies: ["Configuration", "JoolWire", "LinuxRuntime"]),
        // Drop-in replacement for the stock joold.
        .executableTarget(name: "joold", dependencies: ["JooldCommandLine", "Relay", "LinuxRuntime"]),
        // jooldctl, the operator's command line for the supervisor: commands, client, formatting.
        .target(name: "JooldctlCommands", dependencies: [
            "ControlProtocol", "LinuxRuntime", "JoolWire", "Configuration", "CShim",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "jooldctl", dependencies: ["JooldctlCommands", "LinuxRuntime"]),
        // A stand-in for the Jool kernel module (its netlink bytes over a Unix socket),
        // for host tests and benchmarks.
        .target(name: "JoolSimulator", dependencies: ["Netlink", "JoolWire", "LinuxRuntime"]),
        // Benchmarks (scripts/bench, docs/benchmarks.md): not part of the test suite.
        // The lean C driver that plays the kernel at full speed, the floor loop, and the
        // command that runs them against the real release binaries.
        .target(name: "CBenchDriver"),
        .executableTarget(name: "joold-bench-floor"),
        .executableTarget(name: "joold-bench", dependencies: [
            "CBenchDriver", "JoolSimulator", "NetworkTestSupport", "LinuxRuntime", "JoolWire", "Configuration",
        ]),
        // Real network namespaces and veth pairs, real users and groups, child processes,
        // a raw control-socket client, temporary directories and a log recorder for the
        // host tests.
        .target(name: "NetworkTestSupport", dependencies: [
            "LinuxRuntime", "Configuration", "ControlProtocol", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/NetworkTestSupport"),
        .testTarget(name: "LinuxRuntimeTests", dependencies: ["LinuxRuntime", "NetworkTestSupport"]),
        .testTarget(name: "JoolWireTests", dependencies: ["JoolWire", "Netlink", "NetworkTestSupport"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "JoolWire"]),
        .testTarget(name: "ControlProtocolTests", dependencies: ["ControlProtocol", "JoolWire", "Configuration", "LinuxRuntime"]),
        .testTarget(name: "RelayTests", dependencies: [
            "Relay", "LinuxRuntime", "Netlink", "JoolWire", "Configuration", "NetworkTestSupport", "JoolSimulator",
        ]),
        // Real joold processes in real namespaces, each with a simulated Jool kernel.
        .testTarget(name: "IntegrationTests", dependencies: [
            "LinuxRuntime", "Netlink", "JoolWire", "JoolSimulator", "NetworkTestSupport",
        ]),
        .testTarget(name: "SupervisorCoreTests", dependencies: [
            "SupervisorCore", "ControlProtocol", "LinuxRuntime", "JoolWire", "Configuration", "NetworkTestSupport",
        ]),
        .testTarget(name: "JooldCommandLineTests", dependencies: [
            "JooldCommandLine", "Configuration", "JoolWire", "NetworkTestSupport",
        ]),
        // jooldctl against a fake supervisor (in-process, and the built binary).
        .testTarget(name: "JooldctlTests", dependencies: [
            "JooldctlCommands", "ControlProtocol", "JoolWire", "Configuration", "NetworkTestSupport",
        ]),
        .testTarget(name: "SupervisorTests", dependencies: [
            "ControlProtocol", "LinuxRuntime", "JoolWire", "Configuration", "JoolSimulator", "NetworkTestSupport",
        ]),
    ]
)

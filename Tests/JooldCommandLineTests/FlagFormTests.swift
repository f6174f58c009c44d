import Configuration
@testable import JooldCommandLine
import Testing

/// `joold --mod=FILE --instance=STR --net=FILE --net.* --stats=FILE --stats.*` (Jool's daemon
/// configuration page, config-joold).
@Suite struct FlagFormTests {
    @Test func everyFlagWithEquals() throws {
        try withScratch { dir throws in
            let net = dir.write("net.json", "{}")
            let mod = dir.write("mod.json", "{}")
            let stats = dir.write("stats.json", "{}")
            let launch = try dir.launch([
                "--mod=mod.json", "--instance=potato",
                "--net=net.json", "--net.mcast.addr=ff08::db8:64:64", "--net.mcast.port=6464",
                "--net.dev.in=lo", "--net.dev.out=lo", "--net.ttl=3",
                "--stats=stats.json", "--stats.addr=127.0.0.1", "--stats.port=45678",
                "--enable-ss", "--log-level=debug",
            ])
            #expect(launch.configuration == WorkerConfiguration(
                instance: instance("potato"), network: ipv6Settings,
                stats: .init(address: "127.0.0.1", port: "45678"), enableSessionSync: true))
            #expect(launch.options.logLevel == .debug)
            #expect(launch.netSocketFile == net && launch.modSocketFile == mod && launch.statsFile == stats)
        }
    }

    @Test func everyFlagWithSpaces() throws {
        try withScratch { dir throws in
            dir.write("net.json", "{}")
            dir.write("mod.json", "{}")
            dir.write("stats.json", "{}")
            let spaced = try dir.launch([
                "--mod", "mod.json", "--instance", "potato",
                "--net", "net.json", "--net.mcast.addr", "233.252.0.64", "--net.mcast.port", "6464",
                "--net.dev.in", "127.0.0.1", "--net.dev.out", "127.0.0.1", "--net.ttl", "3",
                "--stats", "stats.json", "--stats.addr", "0.0.0.0", "--stats.port", "45678",
                "--enable-ss", "--log-level", "warning",
            ])
            #expect(spaced.configuration == WorkerConfiguration(
                instance: instance("potato"), network: ipv4Settings,
                stats: .init(address: "0.0.0.0", port: "45678"), enableSessionSync: true))
            #expect(spaced.options.logLevel == .warning)
        }
    }

    @Test func flagsAloneWithoutFiles() throws {
        try withScratch { dir throws in
            let launch = try dir.launch(["--net.mcast.addr", "233.252.0.64"])
            let network = try #require(launch.configuration.network)
            #expect(network.family == .ipv4)
            #expect(network.groupAddress == [233, 252, 0, 64])
            #expect(network.port == 6400)   // 4.1.15's default
            #expect(network.ttl == 1)
            #expect(network.reuseAddress)
            #expect(network.inInterface == nil && network.outInterface == nil)
            #expect(launch.configuration.instance == .default)
            #expect(launch.configuration.stats == nil)
            #expect(launch.netSocketFile == nil)
        }
    }

    @Test func netFlagsOverrideFileValues() throws {
        try withScratch { dir throws in
            dir.write("net.json", ipv6NetSocket)
            let launch = try dir.launch([
                "--net", "net.json", "--net.mcast.addr", "ff05::1:2", "--net.mcast.port", "7000",
                "--net.ttl", "9",
            ])
            let network = try #require(launch.configuration.network)
            #expect(network.groupAddress == [0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2])
            #expect(network.port == 7000)
            #expect(network.ttl == 9)
            // Untouched file values survive.
            #expect(network.inInterface == .index(loopbackIndex, name: "lo"))
            #expect(network.outInterface == .index(loopbackIndex, name: "lo"))
            #expect(network.display == "[ff05::1:2]:7000")
        }
    }

    @Test func interfaceFlagsOverrideFileValues() throws {
        try withScratch { dir throws in
            dir.write("netsocket.json", """
                { "multicast address": "233.252.0.64", "multicast port": "6464",
                  "in interface": "192.0.2.1", "out interface": "192.0.2.1" }
                """)
            let launch = try dir.launch(["--net.dev.in=127.0.0.1", "--net.dev.out", "127.0.0.1"])
            #expect(launch.configuration.network?.inInterface == .ipv4Address([127, 0, 0, 1]))
            #expect(launch.configuration.network?.outInterface == .ipv4Address([127, 0, 0, 1]))
            #expect(launch.configuration.network?.port == 6464)
        }
    }

    @Test func instanceFlagOverridesModSocketFile() throws {
        try withScratch { dir throws in
            dir.write("modsocket.json", #"{ "instance": "from-file" }"#)
            #expect(try dir.launch([]).configuration.instance == instance("from-file"))
            #expect(try dir.launch(["--instance", "potato"]).configuration.instance == instance("potato"))
            dir.write("other.json", #"{ "instance": "other" }"#)
            #expect(try dir.launch(["--mod", "other.json"]).configuration.instance == instance("other"))
            #expect(try dir.launch(["--mod=other.json", "--instance=x"]).configuration.instance == instance("x"))
        }
    }

    @Test func statsFileDocumentedExample() throws {
        try withScratch { dir throws in
            let path = dir.write("statsocket.json", #"{ "address": "127.0.0.1", "port": 45678 }"#)
            let launch = try dir.launch(["--stats", "statsocket.json"])
            #expect(launch.configuration.stats == .init(address: "127.0.0.1", port: "45678"))
            #expect(launch.statsFile == path)
            // The port as a string works too.
            dir.write("s2.json", #"{ "address": "::1", "port": "6401" }"#)
            #expect(try dir.launch(["--stats=s2.json"]).configuration.stats == .init(address: "::1", port: "6401"))
        }
    }

    @Test func statsFlagsOverrideTheStatsFile() throws {
        try withScratch { dir throws in
            dir.write("stats.json", #"{ "address": "127.0.0.1", "port": 45678 }"#)
            #expect(try dir.launch(["--stats", "stats.json", "--stats.port", "5000"]).configuration.stats
                    == .init(address: "127.0.0.1", port: "5000"))
            #expect(try dir.launch(["--stats", "stats.json", "--stats.addr", "::"]).configuration.stats
                    == .init(address: "::", port: "45678"))
            #expect(try dir.launch(["--stats", "stats.json", "--stats.address=0.0.0.0"]).configuration.stats
                    == .init(address: "0.0.0.0", port: "45678"))
        }
    }

    @Test func positionalPortOverridesTheStatsFileAndFlagsOverrideBoth() throws {
        try withScratch { dir throws in
            dir.write("n.json", "{}")
            dir.write("m.json", "{}")
            dir.write("s.json", #"{ "address": "127.0.0.1", "port": 5000 }"#)
            #expect(try dir.launch(["n.json", "m.json", "45678", "--stats", "s.json"]).configuration.stats
                    == .init(address: "127.0.0.1", port: "45678"))
            #expect(try dir.launch(["n.json", "m.json", "45678", "--stats", "s.json", "--stats.port=7"])
                .configuration.stats == .init(address: "127.0.0.1", port: "7"))
        }
    }

    @Test func statsDefaults() throws {
        try withScratch { dir throws in
            // The spelling of the example of Jool's config-joold page.
            #expect(try dir.launch(["--stats.address", "127.0.0.1", "--stats.port", "45678"]).configuration.stats
                    == .init(address: "127.0.0.1", port: "45678"))
            #expect(try dir.launch(["--stats.addr", "127.0.0.1"]).configuration.stats
                    == .init(address: "127.0.0.1", port: "6401"))
            #expect(try dir.launch(["--stats.port", "45678"]).configuration.stats
                    == .init(address: "::", port: "45678"))
            dir.write("empty.json", "{}")
            #expect(try dir.launch(["--stats", "empty.json"]).configuration.stats == .init(address: "::", port: "6401"))
            // No stats configuration at all: no server.
            #expect(try dir.launch(["--instance", "x"]).configuration.stats == nil)
        }
    }

    @Test func enableSessionSyncIsOptIn() throws {
        try withScratch { dir throws in
            #expect(try dir.launch([]).configuration.enableSessionSync == false)
            #expect(try dir.launch(["--enable-ss"]).configuration.enableSessionSync == true)
        }
    }

    @Test func logLevels() throws {
        try withScratch { dir throws in
            #expect(try dir.launch([]).options.logLevel == .info)
            for level in JooldLogLevel.allCases {
                #expect(try dir.launch(["--log-level", level.rawValue]).options.logLevel == level)
            }
            #expect(try dir.launch(["--log-level=DEBUG"]).options.logLevel == .debug)
            // The raw values are swift-log's.
            #expect(JooldLogLevel.allCases.map(\.rawValue)
                    == ["trace", "debug", "info", "notice", "warning", "error", "critical"])
        }
    }

    @Test func mixedPositionalsAndFlags() throws {
        try withScratch { dir throws in
            dir.write("net.json", ipv4NetSocket)
            dir.write("mod.json", #"{ "instance": "file" }"#)
            let launch = try dir.launch(["net.json", "--instance", "potato"])
            #expect(launch.configuration.network == ipv4Settings)
            #expect(launch.configuration.instance == instance("potato"))

            // Options anywhere; flags win over positional files' values.
            let mixed = try dir.launch(["--net.ttl=7", "net.json", "mod.json", "--instance=cli", "45678",
                                        "--stats.addr", "127.0.0.1"])
            #expect(mixed.configuration.network?.ttl == 7)
            #expect(mixed.configuration.network?.groupAddress == [233, 252, 0, 64])
            #expect(mixed.configuration.instance == instance("cli"))
            #expect(mixed.configuration.stats == .init(address: "127.0.0.1", port: "45678"))

            // --stats.port wins over the positional PORT.
            #expect(try dir.launch(["net.json", "mod.json", "45678", "--stats.port", "5000"]).configuration.stats
                    == .init(address: "::", port: "5000"))

            // A positional netsocket with --mod.
            let withMod = try dir.launch(["net.json", "--mod", "mod.json"])
            #expect(withMod.configuration.instance == instance("file"))
            #expect(withMod.configuration.network == ipv4Settings)
        }
    }

    @Test func fileWithoutMulticastAddressDisablesTheNetworkWithAWarning() throws {
        try withScratch { dir throws in
            let path = dir.write("netsocket.json", #"{ "multicast port": "6464", "ttl": 2 }"#)
            let launch = try dir.launch([])
            #expect(launch.configuration.network == nil)
            #expect(launch.warnings.count == 2)
            #expect(launch.warnings.first?.contains("file '\(path)', key \"multicast port\"") == true)
            #expect(launch.warnings.allSatisfy { $0.contains("network socket is disabled") })
            // The address on the command line completes the file.
            let completed = try dir.launch(["--net.mcast.addr", "233.252.0.64"])
            #expect(completed.configuration.network?.port == 6464)
            #expect(completed.configuration.network?.ttl == 2)
            #expect(completed.warnings.isEmpty)
        }
    }
}

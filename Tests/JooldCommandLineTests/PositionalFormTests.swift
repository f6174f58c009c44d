import Configuration
@testable import JooldCommandLine
import NetworkTestSupport
import Testing

/// `joold [NETSOCKET] [MODSOCKET] [PORT]` (4.1.15 man page).
@Suite struct PositionalFormTests {
    @Test func manPageIPv6ExampleWithStatsPort() throws {
        try withScratch { dir throws in
            let net = dir.write("ipv6-netsocket.json", ipv6NetSocket)
            let mod = dir.write("modsocket.json", #"{ "instance": "potato" }"#)
            let launch = try dir.launch(["ipv6-netsocket.json", "modsocket.json", "45678"])
            #expect(launch.configuration == WorkerConfiguration(
                instance: instance("potato"), network: ipv6Settings,
                stats: .init(address: "::", port: "45678"), enableSessionSync: false))
            #expect(launch.configuration.network?.groupAddress
                    == [0xff, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0xb8, 0, 0x64, 0, 0x64])
            #expect(launch.netSocketFile == net)
            #expect(launch.modSocketFile == mod)
            #expect(launch.statsFile == nil)
            #expect(launch.options.logLevel == .info)
            #expect(launch.warnings.isEmpty)
        }
    }

    @Test func manPageIPv4ExampleWithoutPort() throws {
        try withScratch { dir throws in
            dir.write("ipv4-netsocket.json", ipv4NetSocket)
            dir.write("mod.json", #"{ "instance": "default" }"#)
            let launch = try dir.launch(["ipv4-netsocket.json", "mod.json"])
            #expect(launch.configuration.network == ipv4Settings)
            #expect(launch.configuration.network?.groupAddress == [233, 252, 0, 64])
            #expect(launch.configuration.network?.inInterface == .ipv4Address([127, 0, 0, 1]))
            #expect(launch.configuration.instance == .default)
            #expect(launch.configuration.stats == nil)
        }
    }

    @Test func defaultFilesAreReadFromTheCurrentDirectory() throws {
        try withScratch { dir throws in
            let net = dir.write("netsocket.json", ipv4NetSocket)
            let mod = dir.write("modsocket.json", #"{ "instance": "blue" }"#)
            let launch = try dir.launch([])
            #expect(launch.configuration.network == ipv4Settings)
            #expect(launch.configuration.instance == instance("blue"))
            #expect(launch.netSocketFile == net)
            #expect(launch.modSocketFile == mod)
        }
    }

    @Test func absentDefaultFilesDisableTheNetworkAndUseInstanceDefault() throws {
        try withScratch { dir throws in
            let launch = try dir.launch([])
            #expect(launch.configuration == WorkerConfiguration(instance: .default, network: nil, stats: nil,
                                                                enableSessionSync: false))
            #expect(launch.netSocketFile == nil && launch.modSocketFile == nil && launch.statsFile == nil)
        }
    }

    @Test func namedNetSocketWithDefaultModSocket() throws {
        try withScratch { dir throws in
            dir.write("net.json", ipv6NetSocket)
            let mod = dir.write("modsocket.json", #"{ "instance": "potato" }"#)
            let launch = try dir.launch(["net.json"])
            #expect(launch.configuration.network == ipv6Settings)
            #expect(launch.configuration.instance == instance("potato"))
            #expect(launch.modSocketFile == mod)
        }
    }

    @Test func namedModSocketWithoutNetSocketFile() throws {
        // Only the first positional can name the netsocket; with no netsocket.json in
        // the directory, naming it is required to reach MODSOCKET. Here it is named.
        try withScratch { dir throws in
            dir.write("empty-net.json", "{}")
            dir.write("m.json", #"{ "instance": "red" }"#)
            let launch = try dir.launch(["empty-net.json", "m.json"])
            #expect(launch.configuration.network == nil)
            #expect(launch.configuration.instance == instance("red"))
        }
    }

    @Test func relativeAndAbsolutePaths() throws {
        try withScratch { dir throws in
            let absolute = dir.write("abs.json", ipv4NetSocket)
            let other = TemporaryDirectory(prefix: "joold-cli-tests")
            defer { other.remove() }
            // Absolute: found whatever the current directory.
            let launch = try JooldCommandLine.parse(arguments: [absolute], currentDirectory: other.path)
            guard case let .run(fromAbsolute) = launch else { Issue.record("\(launch)"); return }
            #expect(fromAbsolute.configuration.network == ipv4Settings)
            #expect(fromAbsolute.netSocketFile == absolute)
            // Relative: taken from the current directory given, not the process's.
            #expect(other.failure(["abs.json"]) != nil)
            #expect(try dir.launch(["abs.json"]).netSocketFile == absolute)
            // A trailing slash on the directory is fine.
            let slashed = try JooldCommandLine.parse(arguments: ["abs.json"], currentDirectory: dir.path + "/")
            #expect(slashed == .run(try dir.launch(["abs.json"])))
        }
    }

    @Test func statsPortBoundaries() throws {
        try withScratch { dir throws in
            dir.write("n.json", "{}")
            dir.write("m.json", "{}")
            #expect(try dir.launch(["n.json", "m.json", "1"]).configuration.stats == .init(address: "::", port: "1"))
            #expect(try dir.launch(["n.json", "m.json", "65535"]).configuration.stats
                    == .init(address: "::", port: "65535"))
            for bad in ["0", "65536", "abc", "c.json", "45678x", ""] {
                guard case let .usage(text)? = dir.failure(["n.json", "m.json", bad]) else {
                    Issue.record("no usage error for PORT '\(bad)'")
                    continue
                }
                #expect(text.contains("third positional argument (PORT)"), "\(text)")
                #expect(text.contains("'\(bad)'"), "\(text)")
                #expect(text.contains("1 to 65535"), "\(text)")
            }
            guard case let .usage(text)? = dir.failure(["n.json", "m.json", "c.json"]) else { return }
            #expect(text.contains("at most two files"))
            // A negative number looks like an option.
            #expect(dir.failure(["n.json", "m.json", "-1"]) == .usage("unknown option '-1'"))
        }
    }

    @Test func tooManyPositionals() throws {
        withScratch { dir in
            guard case let .usage(text)? = dir.failure(["a.json", "b.json", "45678", "extra", "more"]) else {
                Issue.record("expected a usage error")
                return
            }
            #expect(text.contains("too many positional arguments: 'extra' 'more'"))
            #expect(text.contains("NETSOCKET MODSOCKET PORT"))
        }
    }

    @Test func doubleDashEndsOptions() throws {
        try withScratch { dir throws in
            dir.write("--odd.json", ipv4NetSocket)
            let launch = try dir.launch(["--instance", "x", "--", "--odd.json"])
            #expect(launch.configuration.network == ipv4Settings)
            #expect(launch.configuration.instance == instance("x"))
        }
    }
}

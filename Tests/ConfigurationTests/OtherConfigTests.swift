@testable import Configuration
@testable import JoolWire
import Testing

@Suite struct ModSocketConfigTests {
    @Test func instanceNameAndDefault() throws {
        #expect(ModSocketConfig().instance.value == .default)
        try withTemporaryFile(#"{ "instance": "potato" }"#, name: "modsocket.json") { path in
            let config = try ModSocketConfig.load(path: path)
            #expect(config.instance.value.value == "potato")
            #expect(config.instance.origin == .file(path: path, key: "instance"))
        }
        try withTemporaryFile("{}", name: "modsocket.json") { path throws in
            #expect(try ModSocketConfig.load(path: path).instance.value == .default)
        }
    }

    @Test func errorsNameFileKeyAndExpectation() throws {
        let cases: [(String, String, ConfigurationError.Kind, String)] = [
            (#"{"instance": ""}"#, "instance", .invalidValue, "1 to 15 printable ASCII"),
            (#"{"instance": "sixteen-chars-xx"}"#, "instance", .invalidValue, "15"),
            (#"{"instance": 5}"#, "instance", .wrongType, "expected a string"),
            (#"{"instanse": "x"}"#, "instanse", .unknownKey, #"did you mean "instance"?"#),
        ]
        for (json, key, kind, text) in cases {
            withTemporaryFile(json, name: "modsocket.json") { path in
                do throws(ConfigurationError) {
                    _ = try ModSocketConfig.load(path: path)
                    Issue.record("accepted \(json)")
                } catch {
                    #expect(error.kind == kind, "\(json)")
                    #expect(error.description.contains(path))
                    #expect(error.description.contains("\"\(key)\""))
                    #expect(error.description.contains(text), "\(error)")
                }
            }
        }
        withTemporaryFile("[]", name: "modsocket.json") { path in
            #expect(throws: ConfigurationError.self) { try ModSocketConfig.load(path: path) }
        }
    }

    @Test func commandLineOverride() throws {
        var config = ModSocketConfig()
        try config.override(instance: "blue")
        #expect(config.instance == Configured(try InstanceName("blue"), from: .option("--instance")))
        do {
            try config.override(instance: "way-too-long-instance-name")
            Issue.record("accepted a long name")
        } catch {
            #expect(error.description.hasPrefix("option --instance: expected an instance name"))
        }
    }
}

@Suite struct StatsSocketConfigTests {
    /// The example of Jool's daemon configuration page (config-joold).
    @Test func documentedExample() throws {
        try withTemporaryFile(#"{ "address": "127.0.0.1", "port": 45678 }"#, name: "statsocket.json") { path in
            let config = try StatsSocketConfig.load(path: path)
            #expect(config.resolvedAddress == "127.0.0.1")
            #expect(try config.resolvedPort() == 45678)
        }
    }

    @Test func defaultsAndStrings() throws {
        #expect(StatsSocketConfig().resolvedAddress == "::")
        #expect(try StatsSocketConfig().resolvedPort() == 6401)
        let config = try StatsSocketConfig.parse(#"{"port": "6500"}"#, path: "stats.json")
        #expect(try config.resolvedPort() == 6500)
        #expect(config.resolvedAddress == "::")
    }

    @Test func commandLineOverrides() throws {
        let file = try StatsSocketConfig.parse(#"{"address": "127.0.0.1", "port": 45678}"#, path: "stats.json")
        let overridden = try file.applying(address: "::1", port: "7000")
        #expect(overridden.resolvedAddress == "::1")
        #expect(try overridden.resolvedPort() == 7000)
        #expect(overridden.port?.origin == .option("--stats.port"))
        #expect(try file.applying() == file)
        #expect(throws: ConfigurationError.self) { try file.applying(port: "99999") }
        #expect(maxDatagramSize == 2048)
    }

    @Test func errors() {
        for (json, key) in [(#"{"port": 0}"#, "port"), (#"{"port": true}"#, "port"), (#"{"address": 1}"#, "address"),
                            (#"{"adress": "::"}"#, "adress")] {
            withTemporaryFile(json, name: "statsocket.json") { path in
                do throws(ConfigurationError) {
                    _ = try StatsSocketConfig.load(path: path)
                    Issue.record("accepted \(json)")
                } catch {
                    #expect(error.description.contains(path) && error.description.contains("\"\(key)\""), "\(error)")
                }
            }
        }
        do {
            _ = try StatsSocketConfig.parse(#"{"port": "nosuchservice"}"#, path: "stats.json").resolvedPort()
            Issue.record("resolved an unknown service")
        } catch {
            #expect(error.description.contains("stats.json") && error.description.contains("nosuchservice"))
        }
    }
}

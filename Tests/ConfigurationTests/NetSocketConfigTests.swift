@testable import Configuration
import Glibc
@testable import JoolWire
import Testing

@Suite struct NetSocketConfigTests {
    let lo = if_nametoindex("lo")

    func load(_ json: String) throws(ConfigurationError) -> NetSocketConfig {
        let file = TemporaryFile(json, name: "netsocket.json")
        defer { file.cleanup() }
        return try NetSocketConfig.load(path: file.path)
    }

    /// The error for `json`, checked to name the file and (when given) the key.
    func failure(_ json: String, key: String? = nil, resolving: Bool = false,
                 sourceLocation: SourceLocation = #_sourceLocation) -> ConfigurationError? {
        let file = TemporaryFile(json, name: "netsocket.json")
        defer { file.cleanup() }
        do {
            let config = try NetSocketConfig.load(path: file.path)
            if resolving { _ = try config.resolve() }
            Issue.record("no error for \(json)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.description.contains(file.path), "\(error)", sourceLocation: sourceLocation)
            #expect(error.file == file.path, sourceLocation: sourceLocation)
            if let key {
                #expect(error.key == key, sourceLocation: sourceLocation)
                #expect(error.description.contains("\"\(key)\""), "\(error)", sourceLocation: sourceLocation)
            }
            return error
        }
    }

    /// The IPv6 example of Jool's joold(8) man page.
    @Test func manPageIPv6Example() throws {
        let config = try load("""
            {
                "multicast address": "ff08::db8:64:64",
                "multicast port": "6464",
                "in interface": "lo",
                "out interface": "lo",
                "reuseaddr": 1,
                "ttl": 3
            }
            """)
        #expect(config.isEnabled)
        let settings = try #require(try config.resolve())
        #expect(settings == NetSocketSettings(
            family: .ipv6, groupAddress: IPv6Address("ff08::db8:64:64")!.bytes, port: 6464,
            inInterface: .index(lo, name: "lo"), outInterface: .index(lo, name: "lo"),
            ttl: 3, reuseAddress: true, display: "[ff08::db8:64:64]:6464"))
    }

    /// The IPv4 example of Jool's joold(8) man page.
    @Test func manPageIPv4Example() throws {
        let settings = try #require(try load("""
            {
                "multicast address": "233.252.0.64",
                "multicast port": "6464",
                "in interface": "192.0.2.1",
                "out interface": "192.0.2.1",
                "ttl": 3
            }
            """).resolve())
        #expect(settings == NetSocketSettings(
            family: .ipv4, groupAddress: [233, 252, 0, 64], port: 6464,
            inInterface: .ipv4Address([192, 0, 2, 1]), outInterface: .ipv4Address([192, 0, 2, 1]),
            ttl: 3, reuseAddress: true, display: "233.252.0.64:6464"))
    }

    @Test func defaults() throws {
        let settings = try #require(try load(#"{"multicast address": "233.252.0.64"}"#).resolve())
        #expect(settings.port == 6400 && settings.ttl == 1 && settings.reuseAddress)
        #expect(settings.inInterface == nil && settings.outInterface == nil && settings.scopeID == 0)
    }

    @Test func missingAddressDisablesTheSocket() throws {
        let config = try load(#"{"multicast port": "6464", "ttl": 2}"#)
        #expect(!config.isEnabled)
        #expect(try config.resolve() == nil)
        #expect(try load("{}").resolve() == nil)
    }

    @Test func ports() throws {
        #expect(try load(#"{"multicast address": "ff08::1", "multicast port": 6464}"#).resolve()?.port == 6464)
        #expect(try load(#"{"multicast address": "ff08::1", "multicast port": "domain"}"#).resolve()?.port == 53)
        #expect(try load(#"{"multicast address": "ff08::1", "multicast port": "65535"}"#).resolve()?.port == 65535)
        let unknown = failure(#"{"multicast address": "ff08::1", "multicast port": "nosuchservice"}"#,
                              key: "multicast port", resolving: true)
        #expect(unknown?.kind == .unresolvable)
        #expect(unknown?.message.contains("nosuchservice") == true)
        for bad in [#""0""#, #""65536""#, "0", "70000", "-1", "true", "6464.0", #""""#] {
            let error = failure(#"{"multicast port": \#(bad)}"#, key: "multicast port")
            #expect(error?.message.contains("port") == true, "\(bad)")
        }
    }

    @Test func reuseAddress() throws {
        for (text, expected) in [("0", false), ("false", false), ("1", true), ("true", true)] {
            let config = try load(#"{"multicast address": "ff08::1", "reuseaddr": \#(text)}"#)
            #expect(try config.resolve()?.reuseAddress == expected, "\(text)")
        }
        #expect(failure(#"{"reuseaddr": 2}"#, key: "reuseaddr")?.kind == .invalidValue)
        let wrong = failure(#"{"reuseaddr": "yes"}"#, key: "reuseaddr")
        #expect(wrong?.kind == .wrongType)
        #expect(wrong?.message.contains("expected true, false, 1 or 0, found a string") == true)
    }

    @Test func ttl() throws {
        #expect(try load(#"{"multicast address": "ff08::1", "ttl": 0}"#).resolve()?.ttl == 0)
        #expect(try load(#"{"multicast address": "ff08::1", "ttl": 255}"#).resolve()?.ttl == 255)
        let high = failure(#"{"ttl": 256}"#, key: "ttl")
        #expect(high?.message == "expected an integer from 0 to 255, found 256")
        #expect(failure(#"{"ttl": -1}"#, key: "ttl")?.kind == .invalidValue)
        #expect(failure(#"{"ttl": "3"}"#, key: "ttl")?.message == "expected an integer from 0 to 255, found a string")
        #expect(failure(#"{"ttl": 3.5}"#, key: "ttl")?.kind == .wrongType)
        #expect(failure(#"{"ttl": null}"#, key: "ttl")?.message.contains("found null") == true)
    }

    @Test func stringKeysRejectOtherTypes() {
        for key in ["multicast address", "in interface", "out interface"] {
            let error = failure(#"{"\#(key)": 5}"#, key: key)
            #expect(error?.message == "expected a string, found an integer")
            #expect(error?.kind == .wrongType)
        }
        #expect(failure(#"{"in interface": ["lo"]}"#, key: "in interface")?.message == "expected a string, found an array")
    }

    @Test func unknownKeys() {
        let typo = failure(#"{"multicast adress": "ff08::1"}"#, key: "multicast adress")
        #expect(typo?.kind == .unknownKey)
        #expect(typo?.message.contains(#"did you mean "multicast address"?"#) == true)
        #expect(typo?.message.contains(#""reuseaddr""#) == true)
        let underscore = failure(#"{"multicast_port": "1"}"#, key: "multicast_port")
        #expect(underscore?.message.contains(#"did you mean "multicast port"?"#) == true)
        let unrelated = failure(#"{"instance": "default"}"#, key: "instance")
        #expect(unrelated?.message.contains("did you mean") == false)
    }

    @Test func syntaxErrorsGiveLineAndColumn() {
        let error = failure("{\n  \"ttl\": 3,\n  \"multicast address\" \"ff08::1\"\n}")
        #expect(error?.kind == .syntax)
        #expect(error?.description.contains("line 3") == true, "\(String(describing: error))")
        #expect(error?.description.contains("column") == true)
        #expect(error?.message.contains("JSON syntax error") == true)
        #expect(failure("")?.kind == .syntax)
    }

    @Test func duplicateKeysAreRejected() {
        let error = failure(#"{"ttl": 1, "ttl": 2}"#)
        #expect(error?.kind == .duplicateKey)
        #expect(error?.message.contains("ttl") == true)
        #expect(error?.message.contains("only once") == true)
    }

    @Test func topLevelMustBeAnObject() {
        for (json, found) in [("[1, 2]", "an array"), ("42", "an integer"), (#""x""#, "a string"), ("null", "null")] {
            let error = failure(json)
            #expect(error?.kind == .notAnObject)
            #expect(error?.message.contains("found \(found)") == true, "\(json)")
        }
    }

    @Test func unreadableFile() {
        do {
            _ = try NetSocketConfig.load(path: "/nonexistent/netsocket.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.kind == .unreadable)
            #expect(error.description.contains("/nonexistent/netsocket.json"))
        }
    }

    /// jansson reads a directory as an empty file ("unexpected token near end of file");
    /// what the path is gets said instead, and a FIFO is not waited on.
    @Test func aDirectoryOrAFIFOIsNotAConfigurationFile() throws {
        try withTemporaryFile("{}") { path in
            let directory = String(path[..<path.lastIndex(of: "/")!])
            let fifo = directory + "/fifo.json"
            #expect(mkfifo(fifo, 0o600) == 0)
            defer { unlink(fifo) }
            for (target, kind) in [(directory, "a directory"), (fifo, "a FIFO")] {
                let error = #expect(throws: ConfigurationError.self) { try NetSocketConfig.load(path: target) }
                #expect(error?.kind == .unreadable)
                #expect(error?.description == "file '\(target)': cannot read the file: it is \(kind), not a regular file")
            }
        }
    }

    @Test func addressMustBeMulticast() {
        for address in ["192.0.2.1", "2001:db8::1"] {
            let error = failure(#"{"multicast address": "\#(address)"}"#, key: "multicast address", resolving: true)
            #expect(error?.message.contains("not a multicast address") == true)
        }
        let garbage = failure(#"{"multicast address": "nowhere"}"#, key: "multicast address", resolving: true)
        #expect(garbage?.message.contains("expected an IPv4 or IPv6 multicast address") == true)
    }

    @Test func ipv4InterfacesAreAddresses() {
        for key in ["in interface", "out interface"] {
            let error = failure(#"{"multicast address": "233.252.0.64", "\#(key)": "eth0"}"#, key: key, resolving: true)
            #expect(error?.message.contains("expected an IPv4 address of the interface") == true)
            #expect(error?.message.contains("eth0") == true)
        }
    }

    @Test func ipv6InterfacesAreExistingNames() {
        for key in ["in interface", "out interface"] {
            let error = failure(#"{"multicast address": "ff08::1", "\#(key)": "nosuchif0"}"#, key: key, resolving: true)
            #expect(error?.kind == .unresolvable)
            #expect(error?.message.contains(#"no interface named "nosuchif0""#) == true)
        }
        let address = failure(#"{"multicast address": "ff08::1", "in interface": "2001:db8::4"}"#,
                              key: "in interface", resolving: true)
        #expect(address?.message.contains("a name such as") == true)
    }

    @Test func ipv6Scope() throws {
        let settings = try #require(try load(#"{"multicast address": "ff02::1%lo", "multicast port": 7}"#).resolve())
        #expect(settings.scopeID == lo)
        #expect(settings.display == "[ff02::1%lo]:7")
        #expect(settings.groupAddress == IPv6Address("ff02::1")!.bytes)
        let unknown = failure(#"{"multicast address": "ff02::1%nosuchif0"}"#, key: "multicast address", resolving: true)
        #expect(unknown?.message.contains("no interface named") == true)
        let v4 = failure(#"{"multicast address": "233.252.0.64%lo"}"#, key: "multicast address", resolving: true)
        #expect(v4?.message.contains("only valid for IPv6") == true)
    }

    @Test func commandLineOverridesFileValues() throws {
        let config = try load(#"{"multicast address": "233.252.0.64", "multicast port": "6464", "ttl": 3}"#)
        let overridden = try config.applying(NetSocketOverrides(
            multicastAddress: "ff08::db8:64:64", multicastPort: "7000", inInterface: "lo", outInterface: "lo", ttl: 5))
        let settings = try #require(try overridden.resolve())
        #expect(settings.family == .ipv6 && settings.port == 7000 && settings.ttl == 5)
        #expect(settings.inInterface == .index(lo, name: "lo") && settings.outInterface == .index(lo, name: "lo"))
        #expect(overridden.ttl?.origin == .option("--net.ttl"))

        let unchanged = try config.applying(NetSocketOverrides())
        #expect(unchanged == config)

        // From nothing but flags.
        let flagsOnly = try NetSocketConfig().applying(NetSocketOverrides(multicastAddress: "233.252.0.64"))
        #expect(try flagsOnly.resolve()?.port == 6400)

        do {
            _ = try config.applying(NetSocketOverrides(ttl: 300)).resolve()
            Issue.record("accepted ttl 300")
        } catch {
            #expect(error.description == "option --net.ttl: expected a TTL from 0 to 255, found 300")
            #expect(error.file == nil)
        }
        do {
            _ = try config.applying(NetSocketOverrides(multicastPort: "0"))
            Issue.record("accepted port 0")
        } catch {
            #expect(error.description.hasPrefix("option --net.mcast.port: "))
        }
        do {
            _ = try config.applying(NetSocketOverrides(inInterface: "eth0")).resolve()
            Issue.record("accepted an interface name for IPv4")
        } catch {
            #expect(error.description.hasPrefix("option --net.dev.in: expected an IPv4 address"))
        }
    }

    @Test func parsesText() throws {
        let config = try NetSocketConfig.parse(#"{"multicast address": "ff08::1"}"#, path: "<inline>")
        #expect(config.multicastAddress == Configured("ff08::1", from: .file(path: "<inline>", key: "multicast address")))
    }
}

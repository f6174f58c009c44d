import Configuration
import ControlProtocol
@testable import JooldctlCommands
import NetworkTestSupport
import Testing

/// The request line each subcommand sends: exact fields.
@Suite struct RequestTests {
    static let netText = """
        {"multicast address": "ff08::db8:64:64", "multicast port": "6464",
         "in interface": "eth2", "out interface": "eth2", "reuseaddr": 1, "ttl": 3}
        """

    @Test func addReadsRelativeFilesAndSendsTheirObjects() throws {
        let supervisor = FakeSupervisor(.result(statusObject("potato", netns: "blue")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", Self.netText)
        files.write("stats.json", #"{"address": "127.0.0.1", "port": "45678"}"#)

        let result = jooldctl(["add", "--instance", "potato", "--netns", "blue", "--net", "net.json",
                               "--stats", "stats.json", "--enable-ss"], supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "add", [
            "instance": .string("potato"),
            "netns": .string("blue"),
            "net": try json(Self.netText),
            "stats": try json(#"{"address": "127.0.0.1", "port": "45678"}"#),
            "enable_ss": .bool(true),
        ])
    }

    @Test func addKeepsTheFileObjectAsWritten() throws {
        let supervisor = FakeSupervisor(.result(statusObject("potato")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", Self.netText)

        _ = jooldctl(["add", "--instance", "potato", "--net", files.path + "/net.json"], supervisor: supervisor)

        let net = try #require(try supervisor.onlyRequest()["net"])
        guard case let .object(sent) = net else { Issue.record("net is not an object"); return }
        #expect(sent.map(\.key) == ["multicast address", "multicast port", "in interface", "out interface", "reuseaddr", "ttl"])
        #expect(net["multicast port"] == .string("6464"))
        #expect(net["reuseaddr"] == .integer(1))
    }

    @Test func addWithoutNetnsOrStatsOmitsThem() throws {
        let supervisor = FakeSupervisor(.result(statusObject("potato")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", "{}")

        let result = jooldctl(["add", "--instance", "potato", "--net", "net.json"], supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "add", [
            "instance": .string("potato"), "net": .object([]), "enable_ss": .bool(false),
        ])
    }

    @Test func addAdvertiseRate() throws {
        let supervisor = FakeSupervisor(.result(statusObject("potato")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", "{}")

        let result = jooldctl(["add", "potato", "--net", "net.json", "--advertise-rate", "250"],
                              supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "add", [
            "instance": .string("potato"), "net": .object([]), "enable_ss": .bool(false), "advertise_rate": .integer(250),
        ])
    }

    @Test func addStatsPortMeansAnyAddress() throws {
        let supervisor = FakeSupervisor(.result(statusObject("potato")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", Self.netText)

        let result = jooldctl(["add", "potato", "--net", "net.json", "--stats-port", "45678"],
                              supervisor: supervisor, directory: files.path)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "add", [
            "instance": .string("potato"),
            "net": try json(Self.netText),
            "stats": try json(#"{"address": "::", "port": 45678}"#),
            "enable_ss": .bool(false),
        ])
    }

    @Test func emptyNetnsIsTheSupervisorsOwn() throws {
        let supervisor = FakeSupervisor(.result(.object(["instance": .string("potato"), "netns": .string(""), "state": .string("stopped")])))
        defer { supervisor.stop() }

        _ = jooldctl(["remove", "potato", "--netns", ""], supervisor: supervisor)

        expectRequest(try supervisor.onlyRequest(), op: "remove", ["instance": .string("potato")])
    }

    @Test(arguments: [
        (["remove", "potato"], [String: JSONValue]()),
        (["remove", "--instance", "potato", "--netns", "blue"], ["netns": .string("blue")]),
        (["remove", "potato", "--netns", "/proc/1234/ns/net"], ["netns": .string("/proc/1234/ns/net")]),
    ])
    func remove(arguments: [String], extra: [String: JSONValue]) throws {
        let supervisor = FakeSupervisor(.result(.object(["instance": .string("potato"), "netns": .string("blue"), "state": .string("stopped")])))
        defer { supervisor.stop() }

        let result = jooldctl(arguments, supervisor: supervisor)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "remove", extra.merging(["instance": .string("potato")]) { a, _ in a })
    }

    @Test func list() throws {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }

        #expect(jooldctl(["list"], supervisor: supervisor).exitCode == 0)
        expectRequest(try supervisor.onlyRequest(), op: "list", [:])
    }

    @Test(arguments: [
        (["status"], [String: JSONValue]()),
        (["status", "potato"], ["instance": .string("potato")]),
        (["status", "--instance", "potato", "--netns", "blue"], ["instance": .string("potato"), "netns": .string("blue")]),
    ])
    func status(arguments: [String], fields: [String: JSONValue]) throws {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([statusObject("potato", netns: "blue")])])))
        defer { supervisor.stop() }

        let result = jooldctl(arguments, supervisor: supervisor)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "status", fields)
    }

    @Test(arguments: [
        (["advertise", "default"], ["instance": JSONValue.string("default")]),
        (["advertise", "default", "--netns", "K"], ["instance": .string("default"), "netns": .string("K")]),
        (["advertise", "--instance", "default", "--no-wait"], ["instance": .string("default"), "wait": .bool(false)]),
        (["advertise", "default", "--rate", "500"], ["instance": .string("default"), "rate": .integer(500)]),
    ])
    func advertise(arguments: [String], fields: [String: JSONValue]) throws {
        let supervisor = FakeSupervisor(.result(.object(["instance": .string("default"), "netns": .string("K"),
                                                          "method": .string("kernel"), "sessions": .null, "seconds": .real(0.01)])))
        defer { supervisor.stop() }

        let result = jooldctl(arguments, supervisor: supervisor)

        #expect(result.exitCode == 0, "\(result)")
        expectRequest(try supervisor.onlyRequest(), op: "advertise", fields)
    }

    @Test(arguments: [
        (["stats"], [String: JSONValue]()),
        (["stats", "potato"], ["instance": .string("potato")]),
        (["stats", "potato", "--netns", "blue"], ["instance": .string("potato"), "netns": .string("blue")]),
    ])
    func stats(arguments: [String], fields: [String: JSONValue]) throws {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }

        _ = jooldctl(arguments, supervisor: supervisor)

        expectRequest(try supervisor.onlyRequest(), op: "stats", fields)
    }

    @Test func version() throws {
        let supervisor = FakeSupervisor(.result(.object(["supervisor": .string("0.1.0"), "protocol": .integer(1)])))
        defer { supervisor.stop() }

        #expect(jooldctl(["version"], supervisor: supervisor).exitCode == 0)
        expectRequest(try supervisor.onlyRequest(), op: "version", [:])
    }

    @Test func theSocketOptionBeatsTheEnvironment() throws {
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }

        let viaOption = jooldctl(["list", "--socket", supervisor.path],
                                 environment: [Jooldctl.socketEnvironmentVariable: "/nonexistent/env.sock"])
        let beforeSubcommand = jooldctl(["--socket", supervisor.path, "--json", "list"],
                                        environment: [Jooldctl.socketEnvironmentVariable: "/nonexistent/env.sock"])
        let viaEnvironment = jooldctl(["list"], environment: [Jooldctl.socketEnvironmentVariable: supervisor.path])

        #expect(viaOption.exitCode == 0, "\(viaOption)")
        #expect(beforeSubcommand.exitCode == 0, "\(beforeSubcommand)")
        #expect(beforeSubcommand.standardOutput == #"{"instances":[]}"# + "\n")
        #expect(viaEnvironment.exitCode == 0, "\(viaEnvironment)")
        #expect(supervisor.requests.count == 3)
    }

    @Test func theDefaultSocketIsTheDocumentedOne() throws {
        let options = try GlobalOptions.parse([])
        #expect(options.socketPath(environment: [:]) == "/run/joold/supervisor.sock")
        #expect(options.socketPath(environment: ["JOOLDCTL_SOCKET": ""]) == "/run/joold/supervisor.sock")
        #expect(options.socketPath(environment: ["JOOLDCTL_SOCKET": "/tmp/x.sock"]) == "/tmp/x.sock")
    }

    @Test func largeAnswersAreReadWhole() throws {
        let many = (0..<3000).map { statusObject("i\($0)", netns: "namespace-\($0)") }
        let supervisor = FakeSupervisor(.result(.object(["instances": .array(many)])))
        defer { supervisor.stop() }

        let result = jooldctl(["list"], supervisor: supervisor)

        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\n").count == 3001)
    }
}

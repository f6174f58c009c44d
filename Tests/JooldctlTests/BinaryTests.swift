import Foundation
import Glibc
@testable import JooldctlCommands
import NetworkTestSupport
import Testing

/// The built `jooldctl` executable (next to the test bundle).
@Suite struct BinaryTests {
    static var binary: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (bundle as NSString).deletingLastPathComponent + "/jooldctl"
    }

    /// Runs `command` (the binary and its arguments) with `environment` in `directory`.
    static func run(_ command: [String], directory: String = "/", environment: [String: String] = [:]) throws -> JooldctlResult {
        var inherited = ProcessInfo.processInfo.environment
        inherited.removeValue(forKey: Jooldctl.socketEnvironmentVariable)
        let result = try ChildProcess.run(command, environment: inherited.merging(environment) { _, new in new },
                                          directory: directory)
        return JooldctlResult(exitCode: result.shellStatus, standardOutput: result.stdout, standardError: result.stderr)
    }

    @Test func missingSocketExitsThreeNamingThePath() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "no jooldctl at \(Self.binary)")
        let scratch = TemporaryDirectory(prefix: "jctl")
        defer { scratch.remove() }
        let path = scratch.path + "/supervisor.sock"

        let viaOption = try Self.run([Self.binary, "list", "--socket", path])
        let viaEnvironment = try Self.run([Self.binary, "status"], environment: ["JOOLDCTL_SOCKET": path])

        for result in [viaOption, viaEnvironment] {
            #expect(result.exitCode == 3)
            #expect(result.standardOutput == "")
            #expect(result.standardError == "jooldctl: cannot connect to \(path): No such file or directory; is joold-supervisor running?\n")
        }
    }

    @Test func relativeFilesAreReadFromTheCurrentDirectory() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "no jooldctl at \(Self.binary)")
        let supervisor = FakeSupervisor(.result(statusObject("potato", netns: "blue")))
        defer { supervisor.stop() }
        let files = TemporaryDirectory(prefix: "jctl")
        defer { files.remove() }
        files.write("net.json", #"{"multicast address": "ff08::db8:64:64", "multicast port": "6464"}"#)

        let result = try Self.run([Self.binary, "add", "potato", "--netns", "blue", "--net", "net.json", "--stats-port", "45678"],
                                  directory: files.path, environment: ["JOOLDCTL_SOCKET": supervisor.path])

        #expect(result.exitCode == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("INSTANCE  NETNS  STATE"))
        expectRequest(try supervisor.onlyRequest(), op: "add", [
            "instance": .string("potato"), "netns": .string("blue"),
            "net": try json(#"{"multicast address": "ff08::db8:64:64", "multicast port": "6464"}"#),
            "stats": try json(#"{"address": "::", "port": 45678}"#), "enable_ss": .bool(false),
        ])
    }

    @Test func permissionDeniedOnConnectExitsThree() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "no jooldctl at \(Self.binary)")
        let supervisor = FakeSupervisor(.result(.object(["instances": .array([])])))
        defer { supervisor.stop() }
        chmod(supervisor.scratch.path, 0o755)
        chmod(supervisor.path, 0o600)
        // Root ignores file modes: run the binary as nobody when we are root.
        var command = [Self.binary, "list", "--socket", supervisor.path]
        if geteuid() == 0 {
            try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "setpriv (util-linux) is needed to drop root")
            command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        }

        let result = try Self.run(command)

        #expect(result.exitCode == 3)
        #expect(result.standardError == "jooldctl: cannot connect to \(supervisor.path): Permission denied; is joold-supervisor running?\n")
        #expect(supervisor.connections == 0)
    }
}

import Configuration
import Glibc
@testable import JooldCommandLine
import JoolWire
import NetworkTestSupport
import Testing

/// A temporary directory stands for the daemon's current directory: the tests write the
/// JSON files into it and parse command lines there.
extension TemporaryDirectory {
    /// Parses `arguments` with this directory as the current directory; expects a launch.
    func launch(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> JooldLaunch {
        let command = try JooldCommandLine.parse(arguments: arguments, currentDirectory: path)
        guard case let .run(launch) = command else {
            Issue.record("expected a launch for \(arguments), got \(command)", sourceLocation: sourceLocation)
            throw Unexpected()
        }
        return launch
    }

    /// Parses `arguments`; expects an error.
    func failure(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) -> JooldCommandLineError? {
        do {
            let command = try JooldCommandLine.parse(arguments: arguments, currentDirectory: path)
            Issue.record("no error for \(arguments): \(command)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }
}

struct Unexpected: Error {}

/// Runs `body` with a fresh directory, removed afterwards.
func withScratch<R>(_ body: (TemporaryDirectory) throws -> R) rethrows -> R {
    let scratch = TemporaryDirectory(prefix: "joold-cli-tests")
    defer { scratch.remove() }
    return try body(scratch)
}

let loopbackIndex = if_nametoindex("lo")

/// The IPv6 netsocket example of Jool's joold(8) man page, with "lo" for the interfaces.
let ipv6NetSocket = """
    {
        "multicast address": "ff08::db8:64:64",
        "multicast port": "6464",
        "in interface": "lo",
        "out interface": "lo",
        "reuseaddr": 1,
        "ttl": 3
    }
    """

/// The IPv4 netsocket example of Jool's joold(8) man page, with 127.0.0.1 for the interfaces.
let ipv4NetSocket = """
    {
        "multicast address": "233.252.0.64",
        "multicast port": "6464",
        "in interface": "127.0.0.1",
        "out interface": "127.0.0.1",
        "ttl": 3
    }
    """

let ipv6Settings = NetSocketSettings(
    family: .ipv6, groupAddress: [0xff, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0xb8, 0, 0x64, 0, 0x64], port: 6464,
    inInterface: .index(loopbackIndex, name: "lo"), outInterface: .index(loopbackIndex, name: "lo"),
    ttl: 3, reuseAddress: true, display: "[ff08::db8:64:64]:6464")

let ipv4Settings = NetSocketSettings(
    family: .ipv4, groupAddress: [233, 252, 0, 64], port: 6464,
    inInterface: .ipv4Address([127, 0, 0, 1]), outInterface: .ipv4Address([127, 0, 0, 1]),
    ttl: 3, reuseAddress: true, display: "233.252.0.64:6464")

func instance(_ name: String) -> InstanceName { try! InstanceName(name) }

import Configuration
import Glibc
@testable import JooldCommandLine
import JoolWire
import Testing

/// A temporary directory standing for the daemon's current directory; files are
/// written into it and everything is removed by `cleanup`.
final class Scratch {
    let path: String
    private var files: [String] = []

    init() {
        var template = Array("/tmp/joold-cli-tests-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Writes `contents` to `name` (relative to the directory); returns the full path.
    @discardableResult
    func write(_ name: String, _ contents: String) -> String {
        let full = path + "/" + name
        let file = fopen(full, "w")!
        fputs(contents, file)
        fclose(file)
        files.append(full)
        return full
    }

    func cleanup() {
        for file in files { unlink(file) }
        rmdir(path)
    }

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

/// Runs `body` with a fresh scratch directory.
func withScratch<R>(_ body: (Scratch) throws -> R) rethrows -> R {
    let scratch = Scratch()
    defer { scratch.cleanup() }
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

import Configuration
import Foundation
import Glibc
import NetworkTestSupport

/// The executables built next to this test bundle (`swift build --build-tests` puts the
/// products and the test bundle in the same directory).
enum Binaries {
    static var directory: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (bundle as NSString).deletingLastPathComponent
    }

    static var supervisor: String { directory + "/joold-supervisor" }
    static var worker: String { directory + "/joold-worker" }
    static var jooldctl: String { directory + "/jooldctl" }

    static func requireBuilt() throws {
        for path in [supervisor, worker, jooldctl] where !FileManager.default.isExecutableFile(atPath: path) {
            throw TestFailure("\(path) is not built (run `swift build --build-tests` before the tests)")
        }
    }
}

/// What a finished program left: its exit status and both outputs.
struct CommandResult: CustomStringConvertible {
    var status: Int32
    /// True when the program was killed by a signal (`status` is then the signal).
    var signalled: Bool
    var stdout: String
    var stderr: String

    /// stdout parsed as JSON (what `jooldctl --json` prints).
    func json() throws -> JSONValue {
        do {
            return try JSONValue.parse(stdout, path: "jooldctl stdout")
        } catch {
            throw TestFailure("jooldctl's stdout is not JSON (\(error)): \(self)")
        }
    }

    var description: String {
        "exit \(signalled ? "signal " : "")\(status), stdout: \(stdout.debugDescription), stderr: \(stderr.debugDescription)"
    }
}

/// Runs a program to its end (at most `timeout`, then SIGKILL) in `/`, collecting stdout
/// and stderr separately.
func runCommand(_ command: [String], environment: [String: String]? = nil, timeout: Duration = .seconds(30)) throws -> CommandResult {
    var inherited = ProcessInfo.processInfo.environment
    inherited.removeValue(forKey: "JOOLDCTL_SOCKET")
    inherited.removeValue(forKey: "NOTIFY_SOCKET")
    let result = try ChildProcess.run(command, environment: inherited.merging(environment ?? [:]) { _, new in new },
                                      directory: "/", timeout: timeout)
    return CommandResult(status: result.status, signalled: result.signalled, stdout: result.stdout, stderr: result.stderr)
}

/// `jooldctl ARGUMENTS --socket SOCKET`, optionally through a prefix such as setpriv.
func jooldctl(_ arguments: [String], socket: String, prefix: [String] = []) throws -> CommandResult {
    try runCommand(prefix + [Binaries.jooldctl] + arguments + ["--socket", socket])
}

/// Polls `probe` every `interval` until it returns a value or `timeout` passes (then
/// nil, after one last try).
func eventually<T>(within timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20),
                   _ probe: () throws -> T?) rethrows -> T? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try probe() { return value }
        let (seconds, attoseconds) = interval.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
    return try probe()
}


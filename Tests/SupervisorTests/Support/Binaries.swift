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

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Hands a value to another thread when the compiler cannot tell that it is safe.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A value shared between threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    @discardableResult
    func mutate<R>(_ body: (inout Value) -> R) -> R { lock.withLock { body(&value) } }
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

/// A fresh directory under /tmp that anyone may traverse (0755), for the control socket
/// (whose own directory the supervisor makes 0750 root:GROUP), the state file, the net
/// files and the simulated kernels' sockets. Removed by `remove()`.
struct TestDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/jsv-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp: \(String(cString: strerror(errno)))") }
        path = String(cString: made)
        guard chmod(path, 0o755) == 0 else { throw TestFailure("chmod \(path): \(String(cString: strerror(errno)))") }
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` in the directory; its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

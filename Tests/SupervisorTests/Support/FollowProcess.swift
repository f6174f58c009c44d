import Foundation
import Glibc
import NetworkTestSupport

/// A running `jooldctl follow ...`: its stdout and stderr collected line by line as
/// they come (by two reader threads), so a test can wait for lines and then end it.
final class FollowProcess: @unchecked Sendable {
    let process = Process()
    private let output = Locked<[String]>([])
    private let errors = Locked<[String]>([])
    private let readers = DispatchGroup()

    init(_ arguments: [String], socket: String) throws {
        process.executableURL = URL(fileURLWithPath: Binaries.jooldctl)
        process.arguments = arguments + ["--socket", socket]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "JOOLDCTL_SOCKET")
        process.environment = environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, lines) in [(stdout, output), (stderr, errors)] {
            let handle = UncheckedBox(pipe.fileHandleForReading)
            readers.enter()
            Thread { [readers] in
                var pending = Data()
                while true {
                    let chunk = handle.value.availableData
                    if chunk.isEmpty { break }
                    pending += chunk
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                        pending = Data(pending[(newline + 1)...])
                        lines.mutate { $0.append(line) }
                    }
                }
                readers.leave()
            }.start()
        }
    }

    var stdout: [String] { output.get() }
    var stderr: [String] { errors.get() }

    /// Waits until stdout holds lines satisfying `condition`.
    @discardableResult
    func waitForOutput(within timeout: Duration = .seconds(10), _ condition: ([String]) -> Bool) -> Bool {
        eventually(within: timeout) { condition(stdout) ? true : nil } ?? false
    }

    @discardableResult
    func waitForErrors(within timeout: Duration = .seconds(10), _ condition: ([String]) -> Bool) -> Bool {
        eventually(within: timeout) { condition(stderr) ? true : nil } ?? false
    }

    /// Waits for the exit (after `signal`, when given); (status, killed by a signal) or nil.
    func finish(signal number: Int32? = nil, within timeout: Duration = .seconds(10)) -> (status: Int32, signalled: Bool)? {
        if let number { kill(process.processIdentifier, number) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(5000) }
        guard !process.isRunning else { return nil }
        _ = readers.wait(timeout: .now() + 5)
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    var description: String { "stdout: \(stdout.suffix(20))\nstderr: \(stderr)" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

import Foundation
import JoolSimulator
import NetworkTestSupport

/// A real `joold` process (this project's, as built next to the test bundle) running
/// in a network namespace, talking to a simulated Jool kernel. Its stderr (the log) is
/// kept in a file the tests read.
final class JooldProcess {
    let process = Process()
    let directory: URL
    let logFile: URL

    /// The joold executable built next to this test bundle.
    static var executable: String {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return bundle.appendingPathComponent("joold").path
    }

    /// Starts `joold ARGUMENTS` in `namespace`, in `directory`, with the kernel played by
    /// `kernel`. Files named in the arguments are relative to `directory`.
    init(namespace: String, directory: URL, kernel: SimulatedJool, arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw TestFailure("\(Self.executable) is not built (run `swift build` before the tests)")
        }
        self.directory = directory
        logFile = directory.appendingPathComponent("joold.\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip").standardized
        if !FileManager.default.fileExists(atPath: process.executableURL!.path) {
            process.executableURL = URL(fileURLWithPath: "/sbin/ip")
        }
        process.arguments = ["netns", "exec", namespace, Self.executable] + arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["JOOLD_TEST_KERNEL_SOCKET"] = kernel.path
        environment["JOOLD_TEST_KERNEL_VERSION"] = kernel.version.description
        process.environment = environment
        let log = try FileHandle(forWritingTo: logFile)
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text`; false if the process ended or time ran out.
    @discardableResult
    func waitForLog(_ text: String, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains(text) { return true }
            if !process.isRunning { return log.contains(text) }
            usleep(10_000)
        }
        return false
    }

    /// Waits for the process to end by itself; its exit status, or nil if it did not.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then the exit status and the whole log.
    func stop() -> (status: Int32?, log: String) {
        if process.isRunning { process.terminate() }
        let status = waitForExit()
        if status == nil { kill(process.processIdentifier, SIGKILL) }
        return (status, log)
    }

    /// The counters from the "stopped; counters: ..." log line, by name.
    static func counters(inLog log: String) -> [String: UInt64] {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("stopped; counters:") }),
              let range = line.range(of: "counters: ") else { return [:] }
        var result: [String: UInt64] = [:]
        for pair in line[range.upperBound...].split(separator: " ") {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let value = UInt64(parts[1]) { result[String(parts[0])] = value }
        }
        return result
    }

    deinit { _ = stop() }
}


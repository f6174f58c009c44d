import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport

/// A real `joold-supervisor` process (as built next to the test bundle) with its socket
/// and state file in a test directory. Its workers reach `kernel` (a SimulatedJool)
/// through the environment they inherit. stdout and stderr (the supervisor's and its
/// workers' logs) go to a file in the directory.
final class SupervisorProcess {
    let process = Process()
    let directory: TemporaryDirectory
    let socketPath: String
    let statePath: String
    let logPath: String

    /// Starts the supervisor and waits until its control socket answers.
    init(directory: TemporaryDirectory, kernel: SimulatedJool?, group: String? = nil,
         socketPath: String? = nil, statePath: String? = nil, tag: String = "supervisor") throws {
        try Binaries.requireBuilt()
        self.directory = directory
        self.socketPath = socketPath ?? directory.file("run/supervisor.sock")
        self.statePath = statePath ?? directory.file("state.json")
        logPath = directory.file("\(tag).\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binaries.supervisor)
        process.arguments = ["--socket", self.socketPath, "--state", self.statePath, "--log-level", "debug"]
            + (group.map { ["--group", $0] } ?? [])
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "JOOLD_TEST_KERNEL_SOCKET")
        if let kernel {
            environment["JOOLD_TEST_KERNEL_SOCKET"] = kernel.path
            environment["JOOLD_TEST_KERNEL_VERSION"] = kernel.version.description
        }
        process.environment = environment
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        let ready = eventually(within: .seconds(10)) { () -> Bool? in
            if !process.isRunning { return false }
            return (try? RawControlClient(socketPath: self.socketPath)) != nil ? true : nil
        }
        guard ready == true else {
            stop()
            throw TestFailure("joold-supervisor did not become ready:\n\(self.log)")
        }
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the process to end; (status, killed by a signal) or nil on timeout.
    func waitForExit(timeout: Duration = .seconds(10)) -> (status: Int32, signalled: Bool)? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { usleep(5000) }
        guard !process.isRunning else { return nil }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    /// The worker processes the supervisor runs now (its children running joold-worker).
    func workerPIDs() -> Set<pid_t> {
        ProcessTable.children(of: pid).filter { ProcessTable.isWorker($0) }
    }

    /// Cleanup, whatever happened: SIGTERM, then SIGKILL (the workers die with their
    /// parent: they asked for SIGTERM on its death) and any worker still around.
    func stop() {
        guard process.isRunning else { return }
        let workers = workerPIDs()
        kill(pid, SIGTERM)
        if waitForExit(timeout: .seconds(8)) == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(5))
        }
        for worker in workers where ProcessTable.isWorker(worker) { kill(worker, SIGKILL) }
    }

    deinit { stop() }
}

/// /proc, for what the tests ask about processes.
enum ProcessTable {
    /// (state letter, parent pid) of a live process; nil if there is none.
    static func stat(_ pid: pid_t) -> (state: Character, parent: pid_t)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 2, let state = fields[0].first, let parent = pid_t(fields[1]) else { return nil }
        return (state, parent)
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let info = stat(pid) else { return false }
        return info.state != "Z" && info.state != "X"
    }

    /// A live process running this build's joold-worker.
    static func isWorker(_ pid: pid_t) -> Bool {
        guard isAlive(pid), let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        else { return false }
        return exe == Binaries.worker || exe.hasSuffix("/joold-worker")
    }

    static func children(of parent: pid_t) -> Set<pid_t> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return Set(entries.compactMap { pid_t($0) }.filter { stat($0)?.parent == parent })
    }
}

import Foundation
import Glibc
import LinuxRuntime

/// A child process of the benchmark (joold, the floor loop, joold-supervisor), with its
/// output in a file. Every pid goes to `pids` in the work directory so that
/// scripts/bench can end them (by pid) if the benchmark itself dies.
final class Child {
    let process = Process()
    let logPath: String
    let name: String

    /// `command` runs pinned to `cpu` (taskset) and, with `namespace`, inside it
    /// (`ip netns exec`); both exec in place, so the pid is the program's own.
    init(_ name: String, _ command: [String], cpu: Int?, namespace: String? = nil,
         environment extra: [String: String] = [:], in work: WorkDirectory) throws {
        self.name = name
        logPath = work.file("\(name).log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        var argv = command
        if let namespace { argv = ["/usr/sbin/ip", "netns", "exec", namespace] + argv }
        if let cpu { argv = ["/usr/bin/taskset", "-c", "\(cpu)"] + argv }
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: work.path)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.merge(extra) { $1 }
        process.environment = environment
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? log.close()
        work.notePID(process.processIdentifier)
    }

    var pid: pid_t { process.processIdentifier }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text`; throws with the log if it does not.
    func waitForLog(_ text: String, seconds: Double = 10, while pump: () -> Void = { usleep(5000) }) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(text) { return }
            if !process.isRunning { break }
            pump()
        }
        if !log.contains(text) { throw BenchError("\(name) did not log '\(text)':\n\(log)") }
    }

    /// SIGTERM, then SIGKILL after 5 s.
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(5000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// The benchmark's scratch directory (made by scripts/bench, removed by it).
struct WorkDirectory {
    let path: String
    func file(_ name: String) -> String { "\(path)/\(name)" }

    func notePID(_ pid: pid_t) { append("pids", "\(pid)\n") }
    func noteNamespace(_ name: String) { append("namespaces", "\(name)\n") }

    private func append(_ name: String, _ line: String) {
        let path = file(name)
        guard let fd = try? SystemCall.retrying("open", path, { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644) })
        else { return }
        writeAll(fd, line)
        close(fd)
    }
}

/// Resident memory of a process in KiB (VmRSS), or nil.
func residentKiB(_ pid: pid_t) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
    return Int(line.split(separator: " ").dropFirst().first ?? "")
}

import Configuration
import Glibc
import JoolSimulator
import LinuxRuntime
import NetworkTestSupport

/// Part 2: one real `joold-supervisor` with `instances` workers, one per network
/// namespace, all talking to one SimulatedJool (the workers find it through the
/// environment they inherit), driven through the control socket.
struct ScaleBench {
    let binaries: String
    let work: WorkDirectory
    let instances: Int
    var controlRequests = 1000
    var killSamples = 8
    /// Seconds to keep everything up after the memory readings (to inspect the workers).
    var hold: UInt32 = 0

    func run(progress: (String) -> Void) throws -> ScaleFigures {
        let namespaces = (0..<instances).map { "\(NetworkLab.prefix)\(getpid())s\($0)" }
        defer { for name in namespaces { _ = try? Shell.ip("netns", "del", name) } }
        progress("creating \(instances) network namespaces")
        for name in namespaces {
            work.noteNamespace(name)
            try Shell.ip("netns", "add", name)
            try Shell.ip("-n", name, "link", "set", "lo", "up")
        }
        let kernel = try SimulatedJool(path: work.file("scale-kernel.sock"), version: .v4_1_9)
        defer { kernel.stop() }
        let socketPath = work.file("supervisor.sock")
        let supervisor = try Child("joold-supervisor",
                                   ["\(binaries)/joold-supervisor", "--socket", socketPath,
                                    "--state", work.file("state.json"), "--log-level", "notice"],
                                   cpu: nil, environment: ["JOOLD_TEST_KERNEL_SOCKET": kernel.path,
                                                           "JOOLD_TEST_KERNEL_VERSION": kernel.version.description],
                                   in: work)
        defer { supervisor.stop() }
        let control = try connect(socketPath, supervisor)
        var figures = ScaleFigures(instances: instances)

        progress("adding \(instances) instances")
        for name in namespaces {
            let start = MonotonicClock.nanoseconds()
            let status = try control.call(#"{"op": "add", "instance": "default", "netns": "\#(name)", "net": {"multicast address": "ff08::db8:64:64", "multicast port": "6464", "in interface": "lo", "out interface": "lo", "ttl": 1}}"#)
            figures.addMilliseconds.append(milliseconds(since: start))
            guard status["state"]?.stringValue == "running" else { throw BenchError("added \(name) is not running: \(status)") }
        }
        var workers = try runningWorkers(control)
        guard workers.count == instances else { throw BenchError("\(workers.count) of \(instances) workers run") }
        workers.values.forEach(work.notePID)
        usleep(1_000_000)   // let them settle
        figures.workerRSSKiB = workers.values.compactMap { residentKiB($0) }
        figures.workerPSSKiB = workers.values.compactMap { proportionalKiB($0) }
        figures.supervisorRSSKiB = residentKiB(supervisor.pid) ?? 0
        if hold > 0 {
            progress("holding \(hold) s; workers: \(workers.values.sorted().map(String.init).joined(separator: " "))")
            sleep(hold)
        }

        progress("\(controlRequests) control requests with \(instances) workers running")
        for index in 0..<controlRequests {
            let start = MonotonicClock.nanoseconds()
            if index % 2 == 0 {
                try control.call(#"{"op": "status", "instance": "default", "netns": "\#(namespaces[index / 2 % instances])"}"#)
                figures.statusMilliseconds.append(milliseconds(since: start))
            } else {
                try control.call(#"{"op": "list"}"#)
                figures.listMilliseconds.append(milliseconds(since: start))
            }
        }

        progress("kill -9 of \(killSamples) workers")
        for sample in 0..<killSamples {
            // Distinct instances while there are enough (a restarted one would back off longer).
            let name = namespaces[(sample * 7 + 3) % instances]
            guard let old = workers[name] else { continue }
            let start = MonotonicClock.nanoseconds()
            kill(old, SIGKILL)
            while true {
                let status = try control.call(#"{"op": "status", "instance": "default", "netns": "\#(name)"}"#)
                let instance = status["instances"]?.arrayValue?.first ?? status
                if let pid = instance["pid"]?.integerValue, pid != Int64(old), instance["state"]?.stringValue == "running" {
                    work.notePID(pid_t(pid))
                    workers[name] = pid_t(pid)   // never signal a pid that may have been reused
                    break
                }
                guard milliseconds(since: start) < 10_000 else { throw BenchError("no replacement for the worker of \(name)") }
                usleep(1000)
            }
            figures.restartMilliseconds.append(milliseconds(since: start))
        }
        progress("stopping the supervisor")
        return figures
    }

    /// The supervisor's socket answers once it is ready.
    private func connect(_ path: String, _ supervisor: Child) throws -> ControlLine {
        let deadline = MonotonicClock.nanoseconds() + 10_000_000_000
        while true {
            if let line = try? ControlLine(path: path) { return line }
            guard supervisor.process.isRunning, MonotonicClock.nanoseconds() < deadline else {
                throw BenchError("joold-supervisor did not start:\n\(supervisor.log)")
            }
            usleep(10_000)
        }
    }

    /// Worker pid by namespace, from `list`, once every instance is running.
    private func runningWorkers(_ control: ControlLine) throws -> [String: pid_t] {
        let list = try control.call(#"{"op": "list"}"#)
        var workers: [String: pid_t] = [:]
        for entry in list["instances"]?.arrayValue ?? [] where entry["state"]?.stringValue == "running" {
            if let netns = entry["netns"]?.stringValue, let pid = entry["pid"]?.integerValue { workers[netns] = pid_t(pid) }
        }
        return workers
    }
}

struct ScaleFigures {
    let instances: Int
    var addMilliseconds: [Double] = []
    var workerRSSKiB: [Int] = []
    var workerPSSKiB: [Int] = []
    var supervisorRSSKiB = 0
    var statusMilliseconds: [Double] = []
    var listMilliseconds: [Double] = []
    var restartMilliseconds: [Double] = []
}

func milliseconds(since start: UInt64) -> Double {
    Double(MonotonicClock.nanoseconds() - start) / 1e6
}

/// The q-quantile (0...1) of `values`, nearest rank.
func quantile(_ values: [Double], _ q: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}

/// Proportional set size in KiB (shared pages divided among their users), or nil.
func proportionalKiB(_ pid: pid_t) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") }) else { return nil }
    return Int(line.split(separator: " ").dropFirst().first ?? "")
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case let .array(elements) = self { return elements }
        return nil
    }
}

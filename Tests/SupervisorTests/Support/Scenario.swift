import Configuration
import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport

/// Everything one test runs against: a test directory, namespaces, a simulated Jool
/// kernel and a real supervisor. `Scenario.with` tears it all down in the right
/// order (supervisor and workers, namespaces, kernel, files) even when the test fails.
final class Scenario {
    let directory: TemporaryDirectory
    let namespaces: TestNamespaces
    let kernel: SimulatedJool
    private(set) var supervisor: SupervisorProcess?
    private var retired: [SupervisorProcess] = []
    let group: String?

    static func with(namespaces count: Int, veth: Bool = false,
                     kernelInstances: [SimulatedJool.Instance] = [.init()],
                     group: String? = nil, startSupervisor: Bool = true,
                     _ body: (Scenario) throws -> Void) throws {
        let directory = TemporaryDirectory(prefix: "jsv")
        defer { directory.remove() }
        let namespaces = try TestNamespaces(count: count, veth: veth)
        defer { namespaces.delete() }
        let kernel = try SimulatedJool(path: directory.file("kernel.sock"), instances: kernelInstances)
        defer { kernel.stop() }
        let scenario = Scenario(directory: directory, namespaces: namespaces, kernel: kernel, group: group)
        defer { scenario.stopAll() }
        if startSupervisor { try scenario.startSupervisor() }
        do {
            try body(scenario)
        } catch {
            print("--- supervisor log (the test failed: \(error)) ---\n\(scenario.logs)")
            throw error
        }
    }

    private init(directory: TemporaryDirectory, namespaces: TestNamespaces, kernel: SimulatedJool, group: String?) {
        self.directory = directory
        self.namespaces = namespaces
        self.kernel = kernel
        self.group = group
    }

    /// Starts a (new) supervisor with the scenario's socket and state file.
    @discardableResult
    func startSupervisor() throws -> SupervisorProcess {
        if let supervisor { retired.append(supervisor) }
        let started = try SupervisorProcess(directory: directory, kernel: kernel, group: group)
        supervisor = started
        return started
    }

    var current: SupervisorProcess {
        get throws {
            guard let supervisor else { throw TestFailure("no supervisor started") }
            return supervisor
        }
    }

    var socketPath: String { directory.file("run/supervisor.sock") }
    var statePath: String { directory.file("state.json") }

    /// The logs of every supervisor of the scenario, for failure messages.
    var logs: String { (retired + (supervisor.map { [$0] } ?? [])).map(\.log).joined(separator: "\n---\n") }

    func stopAll() {
        supervisor?.stop()
        retired.forEach { $0.stop() }
    }

    /// `jooldctl ARGUMENTS --socket SOCKET`.
    func ctl(_ arguments: String...) throws -> CommandResult {
        try jooldctl(arguments, socket: socketPath)
    }

    /// `jooldctl list --json`, its instances; throws unless it exits 0.
    func list() throws -> [JSONValue] {
        let result = try jooldctl(["list", "--json"], socket: socketPath)
        guard result.status == 0 else { throw TestFailure("jooldctl list failed: \(result)") }
        return try instances(in: try result.json())
    }

    /// The instances as the socket answers them (faster than a jooldctl process, for polling).
    func rawList() throws -> [JSONValue] {
        let response = try RawControlClient.request(#"{"op": "list"}"#, socketPath: socketPath)
        guard let result = response.result else { throw TestFailure("list refused: \(response)") }
        return try instances(in: result)
    }

    /// `jooldctl status NAME --netns NS --json`, parsed; throws unless it exits 0.
    func status(_ instance: String, netns: String) throws -> JSONValue {
        let result = try jooldctl(["status", instance, "--netns", netns, "--json"], socket: socketPath)
        guard result.status == 0 else { throw TestFailure("jooldctl status failed: \(result)") }
        return try onlyInstance(result)
    }

    /// Polls (over the socket) until the instance's status satisfies `condition`; that
    /// status, or nil after `timeout`.
    func waitFor(_ instance: String, netns: String, within timeout: Duration = .seconds(5),
                 every interval: Duration = .milliseconds(20), _ condition: (JSONValue) -> Bool) throws -> JSONValue? {
        try eventually(within: timeout, every: interval) { () -> JSONValue? in
            guard let found = entry(try rawList(), instance, netns: netns), condition(found) else { return nil }
            return found
        }
    }

    /// Writes a net file into the test directory; its path.
    func netFile(_ name: String, _ json: String) throws -> String {
        directory.write(name, json)
    }
}

extension JSONValue {
    var state: String? { self["state"]?.stringValue }
    var pid: pid_t? { self["pid"]?.integerValue.map { pid_t($0) } }
    var restarts: Int64? { self["restarts"]?.integerValue }
    var waitingFor: String? { self["waiting_for"]?.stringValue }
}

/// A running worker's status: state running, with a pid.
func isRunning(_ status: JSONValue) -> Bool { status.state == "running" && status.pid != nil }

/// Net files: an IPv6 group on an interface, or none at all (network socket disabled).
enum NetFiles {
    static func ipv6(interface: String, group: String = "ff08::db8:64:64", port: Int = 6464) -> String {
        #"{"multicast address": "\#(group)", "multicast port": "\#(port)", "in interface": "\#(interface)", "out interface": "\#(interface)", "ttl": 1}"#
    }

    static let disabled = "{}"
}

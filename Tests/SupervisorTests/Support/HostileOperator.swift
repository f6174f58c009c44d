import Configuration
import Foundation
import Glibc
import LinuxRuntime
import NetworkTestSupport
import Testing

/// A control group and one member (in it as a supplementary group), for one test.
struct Member {
    let group: TemporaryGroup
    let user: TemporaryUser

    init() throws {
        try #require(access("/usr/bin/setpriv", X_OK) == 0, "setpriv (util-linux) is needed")
        group = try TemporaryGroup(prefix: "jhog")
        do {
            user = try TemporaryUser(prefix: "jhou")
        } catch {
            group.delete()
            throw error
        }
    }

    var prefix: [String] { user.setpriv(supplementary: [group.gid]) }

    func jooldctl(_ arguments: [String], _ s: Scenario) throws -> CommandResult {
        try SupervisorTests.jooldctl(arguments, socket: s.socketPath, prefix: prefix)
    }

    func delete() {
        user.delete()
        group.delete()
    }
}

/// Root's `list` on a fresh connection (connect, ask, read the answer), timed.
struct Latencies {
    private(set) var samples: [Duration] = []

    var worst: Duration { samples.max() ?? .zero }

    mutating func probe(_ s: Scenario, count: Int = 5) throws {
        for _ in 0..<count {
            let start = ContinuousClock.now
            let response = try RawControlClient.request(#"{"op": "list"}"#, socketPath: s.socketPath, timeout: .seconds(2))
            samples.append(ContinuousClock.now - start)
            guard response.result != nil else { throw TestFailure("root's list was refused: \(response)") }
        }
    }

    /// Root's list answered within 100 ms: 19 times in 20 (on a machine whose 2 cores are
    /// shared with other work, a single answer may wait for the scheduler), and never
    /// later than 1 s (nothing blocked it).
    func check(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return }
        let median = sorted[sorted.count / 2], p95 = sorted[(sorted.count * 95 - 1) / 100]
        print("root's list during \(label): \(sorted.count) samples, median \(median), 95th percentile \(p95), worst \(worst)")
        #expect(p95 < .milliseconds(100), "root's list during \(label): 95th percentile \(p95)", sourceLocation: sourceLocation)
        #expect(worst < .seconds(1), "root's list during \(label) took \(worst)", sourceLocation: sourceLocation)
    }
}

/// A process root runs in a namespace (`ip netns exec NS sleep`), for /proc/PID/ns/*.
final class Resident {
    let pid: pid_t

    init(in netns: String) throws {
        let command = ["/usr/sbin/ip", "netns", "exec", netns, "/bin/sleep", "600"]
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, command[0], nil, nil, argv, environ)
        guard status == 0 else { throw TestFailure("posix_spawn ip netns exec: \(String(cString: strerror(status)))") }
        pid = child
        let target = NetworkNamespaceFile.identity(of: "/run/netns/\(netns)")
        guard eventually(within: .seconds(5), { namespace(of: child) == target ? true : nil }) == true else {
            stop()
            throw TestFailure("ip netns exec \(netns) did not enter the namespace")
        }
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

/// Runs `command` to its end with `descriptor` as its descriptor 3.
func spawnAndWait(_ command: [String], descriptor3 descriptor: Int32) throws {
    let inherited = fcntl(descriptor, F_DUPFD_CLOEXEC, 10)   // dup2 onto 3 clears close-on-exec
    defer { close(inherited) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inherited, 3)
    let argv = command.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var child: pid_t = 0
    let status = posix_spawn(&child, command[0], &actions, nil, argv, environ)
    guard status == 0 else { throw TestFailure("posix_spawn \(command[0]): \(String(cString: strerror(status)))") }
    var exit: Int32 = 0
    while waitpid(child, &exit, 0) < 0 && errno == EINTR {}
}

func makeDirectory(_ path: String, mode: mode_t, owner: uid_t) throws {
    try check(mkdir(path, mode) == 0 && chmod(path, mode) == 0 && chown(path, owner, gid_t.max) == 0, "mkdir", path)
}

/// Every live joold-worker process on the machine.
func allWorkers() -> Set<pid_t> {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return Set(entries.compactMap { pid_t($0) }.filter(ProcessTable.isWorker))
}

extension String {
    /// As the string appears inside a JSON string (what `--json` prints).
    var jsonEscaped: String {
        let quoted = JSONValue.string(self).serialized()
        return String(quoted.dropFirst().dropLast())
    }
}

import Configuration
import Foundation
import Glibc
import JoolSimulator
import Testing

/// The real joold-supervisor, joold-worker and jooldctl, in real network namespaces,
/// with simulated Jool kernels. One test at a time: they start processes, namespaces
/// and users, and some measure latencies.
@Suite(.serialized) struct SupervisorProcessTests {}

extension SupervisorProcessTests {
    /// Three instances in three namespaces through their whole life: add, list, status,
    /// a worker killed and restarted, remove, supervisor stop and start, SIGHUP after a
    /// hand edit of the state file.
    @Suite struct Lifecycle {
        @Test func threeInstancesAreAddedRestartedRemovedKeptAcrossRestartsAndReloaded() throws {
            let kernelInstances = ["alpha", "beta", "gamma", "delta"].map { SimulatedJool.Instance(name: $0) }
            try Scenario.with(namespaces: 3, veth: true, kernelInstances: kernelInstances) { s in
                let ns = s.namespaces
                // A group on each end of the veth pair, and one on lo in the third namespace.
                let plan = [
                    ("alpha", ns[0], try s.netFile("net-alpha.json", NetFiles.ipv6(interface: ns.vethA)), "[ff08::db8:64:64]:6464"),
                    ("beta", ns[1], try s.netFile("net-beta.json", NetFiles.ipv6(interface: ns.vethB)), "[ff08::db8:64:64]:6464"),
                    ("gamma", ns[2], try s.netFile("net-gamma.json", NetFiles.ipv6(interface: "lo", group: "ff08::db8:64:65", port: 6465)),
                     "[ff08::db8:64:65]:6465"),
                ]

                // add: each answered with the new instance's status, running.
                for (name, netns, net, multicast) in plan {
                    let added = try s.ctl("add", "--instance", name, "--net", net, "--netns", netns, "--json")
                    try #require(added.status == 0, "\(added)")
                    #expect(added.stderr == "")
                    let status = try added.json()
                    #expect(status["instance"]?.stringValue == name)
                    #expect(status["netns"]?.stringValue == netns)
                    #expect(status.state == "running", "\(status.serialized())")
                    #expect(status.pid != nil)
                    #expect(status.restarts == 0)
                    #expect(status["ss_enabled"] == .bool(true))
                    #expect(status["kernel_version"] == .string("4.1.9.0"))
                    #expect(status["multicast"] == .string(multicast))
                    #expect(status["last_error"] == .null && status["waiting_for"] == .null)
                }

                // list and status: all three running, sorted by namespace then name.
                let listed = try s.list()
                #expect(listed.compactMap { $0["instance"]?.stringValue } == ["alpha", "beta", "gamma"])
                #expect(listed.allSatisfy(isRunning), "\(listed.map { $0.serialized() })")
                let pids = Dictionary(uniqueKeysWithValues: listed.map { ($0["instance"]!.stringValue!, $0.pid!) })
                #expect(Set(pids.values).count == 3)
                #expect(try s.current.workerPIDs() == Set(pids.values), "the pids listed are the supervisor's joold-worker children")

                let table = try s.ctl("list")
                #expect(table.status == 0 && table.stderr == "")
                let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
                #expect(lines.first == ["INSTANCE", "NETNS", "STATE", "PID", "UPTIME", "RESTARTS", "ADV-RATE", "DETAIL"])
                #expect(lines.dropFirst().map { [$0[0], $0[1], $0[2], $0[3], $0[5], $0[6], $0[7]] }
                        == plan.map { [$0.0, $0.1, "running", String(pids[$0.0]!), "0", "2000", "-"] }, "\(table.stdout)")

                let allStatus = try s.ctl("status", "--json")
                #expect(allStatus.status == 0)
                #expect(try instances(in: try allStatus.json()).map { [$0["instance"], $0.state.map(JSONValue.string), $0["pid"]] }
                        == listed.map { [$0["instance"], $0.state.map(JSONValue.string), $0["pid"]] })
                let one = try s.status("beta", netns: ns[1])
                #expect(one.state == "running" && one.pid == pids["beta"])

                // kill -9 one worker: back within a second with a new pid; the others untouched.
                let killed = try #require(pids["beta"])
                let killedAt = ContinuousClock.now
                #expect(kill(killed, SIGKILL) == 0)
                let back = try s.waitFor("beta", netns: ns[1], within: .seconds(3), every: .milliseconds(5)) { isRunning($0) && $0.pid != killed }
                let latency = ContinuousClock.now - killedAt
                print("[SupervisorTests] worker running again \(latency) after kill -9")
                let restarted = try #require(back, "beta did not come back:\n\(s.logs)")
                #expect(latency < .seconds(1), "restart took \(latency)")
                #expect(restarted.restarts == 1)
                #expect(restarted["last_error"]?.stringValue?.contains("signal 9") == true, "\(restarted.serialized())")
                #expect(!ProcessTable.isAlive(killed))
                let afterKill = try s.list()
                #expect(entry(afterKill, "alpha", netns: ns[0])?.pid == pids["alpha"])
                #expect(entry(afterKill, "gamma", netns: ns[2])?.pid == pids["gamma"])
                #expect(entry(afterKill, "alpha", netns: ns[0])?.restarts == 0 && entry(afterKill, "gamma", netns: ns[2])?.restarts == 0)
                let betaPID = try #require(restarted.pid)

                // remove: gone from the list, the state file and the process table.
                let removed = try s.ctl("remove", "gamma", "--netns", ns[2])
                #expect(removed.status == 0 && removed.stderr == "", "\(removed)")
                #expect(removed.stdout == "removed 'gamma' in namespace \(ns[2])\n")
                #expect(try s.list().compactMap { $0["instance"]?.stringValue } == ["alpha", "beta"])
                #expect(eventually(within: .seconds(6)) { ProcessTable.isAlive(pids["gamma"]!) ? nil : true } == true,
                        "gamma's worker \(pids["gamma"]!) is still alive")
                #expect(try stateFileInstances(s.statePath) == [ns[0] + "/alpha", ns[1] + "/beta"])
                let unknown = try s.ctl("status", "gamma", "--netns", ns[2])
                #expect(unknown.status == 1 && unknown.stderr.contains("(no-such-instance)"), "\(unknown)")

                // SIGTERM: exit 0, socket file gone, no worker left.
                let first = try s.current
                let workers = first.workerPIDs()
                #expect(workers == [pids["alpha"]!, betaPID])
                first.signal(SIGTERM)
                let exit = first.waitForExit(timeout: .seconds(10))
                #expect(exit?.status == 0 && exit?.signalled == false, "\(String(describing: exit))")
                #expect(access(s.socketPath, F_OK) != 0 && errno == ENOENT, "the socket file is still there")
                #expect(workers.allSatisfy { !ProcessTable.isAlive($0) }, "workers left behind")
                let unreachable = try s.ctl("list")
                #expect(unreachable.status == 3, "\(unreachable)")

                // Started again with the same state file: both instances come back.
                try s.startSupervisor()
                let revived = try eventually(within: .seconds(5)) { () -> [JSONValue]? in
                    let list = try s.rawList()
                    return list.count == 2 && list.allSatisfy(isRunning) ? list : nil
                }
                try #require(revived != nil, "not both running: \(describe(try? s.rawList()))")
                let again = try s.list()
                #expect(again.compactMap { $0["instance"]?.stringValue } == ["alpha", "beta"])
                #expect(again.allSatisfy { isRunning($0) && $0.restarts == 0 })
                #expect(try s.current.workerPIDs() == Set(again.compactMap(\.pid)))
                let alphaPID = try #require(entry(again, "alpha", netns: ns[0])?.pid)
                let betaPID2 = try #require(entry(again, "beta", netns: ns[1])?.pid)

                // A state file that does not load: SIGHUP leaves everything as it is.
                let good = try #require(s.directory.read("state.json"))
                try "{\"version\": 1, \"instances\": [".write(toFile: s.statePath, atomically: true, encoding: .utf8)
                try s.current.signal(SIGHUP)
                #expect(eventually(within: .seconds(3)) { (try? s.current.log.contains("SIGHUP: not reloading")) == true ? true : nil } == true)
                #expect(try s.list().map { "\($0["instance"]!.stringValue!) \($0.pid!) \($0.state!)" }
                        == ["alpha \(alphaPID) running", "beta \(betaPID2) running"])
                #expect(try s.current.isRunning)
                try good.write(toFile: s.statePath, atomically: true, encoding: .utf8)

                // Hand edit: alpha removed, delta added, beta's net changed; then SIGHUP.
                let edited = """
                    {"version": 1, "instances": [
                      {"instance": "beta", "netns": "\(ns[1])",
                       "net": \(NetFiles.ipv6(interface: ns.vethB, port: 6466)), "stats": null, "enable_ss": false},
                      {"instance": "delta", "netns": "\(ns[2])", "net": {}, "stats": null, "enable_ss": false}
                    ]}

                    """
                try edited.write(toFile: s.statePath, atomically: true, encoding: .utf8)
                try s.current.signal(SIGHUP)
                let converged = try eventually(within: .seconds(8)) { () -> [JSONValue]? in
                    let list = try s.rawList()
                    guard list.count == 2, let beta = entry(list, "beta", netns: ns[1]), let delta = entry(list, "delta", netns: ns[2]),
                          isRunning(beta), beta.pid != betaPID2, isRunning(delta) else { return nil }
                    return list
                }
                try #require(converged != nil, "did not converge: \(describe(try? s.rawList()))")
                let final = try s.list()
                #expect(final.compactMap { $0["instance"]?.stringValue } == ["beta", "delta"])
                #expect(entry(final, "beta", netns: ns[1])?["multicast"] == .string("[ff08::db8:64:64]:6466"))
                #expect(entry(final, "delta", netns: ns[2])?["multicast"] == .null)
                #expect(eventually(within: .seconds(6)) { ProcessTable.isAlive(alphaPID) ? nil : true } == true,
                        "alpha's worker \(alphaPID) is still alive")
                #expect(!ProcessTable.isAlive(betaPID2), "beta's old worker is still alive")
                #expect(try s.current.workerPIDs() == Set(final.compactMap(\.pid)))
            }
        }
    }
}

/// "NETNS/NAME" of every instance in a state file, in file order.
func stateFileInstances(_ path: String) throws -> [String] {
    let document = try JSONValue.load(path: path)
    return (document["instances"]?.arrayValue ?? []).map {
        "\($0["netns"]?.stringValue ?? "?")/\($0["instance"]?.stringValue ?? "?")"
    }
}

/// Status objects, for failure messages.
func describe(_ list: [JSONValue]?) -> String {
    list.map { $0.map { $0.serialized() }.joined(separator: "\n") } ?? "(no list)"
}

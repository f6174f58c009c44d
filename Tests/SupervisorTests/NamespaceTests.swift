import Configuration
import Foundation
import Glibc
import JoolSimulator
import LinuxRuntime
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// A worker stays with the namespace its name stands for: `ip netns del` makes it
    /// leave (and say why), and the next worker enters the namespace created under that
    /// name, a different one, instead of staying in the dead one.
    @Suite struct NamespaceFollowing {
        @Test func aWorkerLeavesADeletedNamespaceAndEntersTheNewOneOfThatName() throws {
            try Scenario.with(namespaces: 1) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", netns, "--json")
                try #require(added.status == 0, "\(added)")
                let first = try #require(try added.json().pid)
                let original = try #require(NetworkNamespaceFile.identity(of: "/run/netns/\(netns)"))
                #expect(namespace(of: first) == original)

                // Deleted: the worker leaves, says why, and its successor waits for the name.
                s.namespaces.delete(netns)
                let gone = try s.waitFor("default", netns: netns, within: .seconds(10)) {
                    $0.state == "waiting" && $0.pid != first
                }
                let waiting = try #require(gone, "no new worker waiting: \(describe(try? s.rawList()))")
                #expect(!ProcessTable.isAlive(first), "the worker in the deleted namespace is gone")
                #expect(waiting.waitingFor == "network namespace /run/netns/\(netns) does not exist", "\(waiting.serialized())")
                #expect(waiting["last_error"]?.stringValue
                        == "worker exited with status 1: network namespace /run/netns/\(netns) was deleted: leaving it",
                        "\(waiting.serialized())")
                // What jooldctl list shows is the reason of now.
                let table = try s.ctl("list")
                #expect(table.stdout.contains("network namespace /run/netns/\(netns) does not exist"), "\(table)")

                // A new namespace of that name, which the worker enters. (It may get the
                // inode number of the old one, freed once its last worker left.)
                try s.namespaces.create(netns)
                let renewed = try #require(NetworkNamespaceFile.identity(of: "/run/netns/\(netns)"))
                let back = try s.waitFor("default", netns: netns, within: .seconds(10)) { isRunning($0) }
                let running = try #require(back, "not running in the new namespace: \(describe(try? s.rawList()))")
                #expect(namespace(of: try #require(running.pid)) == renewed)

                // Replaced in one go (deleted and created again between two checks, or
                // seen missing first): the worker ends up in the newest namespace.
                let secondPID = try #require(running.pid)
                s.namespaces.delete(netns)
                try s.namespaces.create(netns)
                let newest = try #require(NetworkNamespaceFile.identity(of: "/run/netns/\(netns)"))
                #expect(newest != renewed, "a namespace still held (by the worker) keeps its inode number")
                let moved = try s.waitFor("default", netns: netns, within: .seconds(10)) {
                    isRunning($0) && $0.pid != secondPID
                }
                let final = try #require(moved, "the worker did not follow the replacement: \(describe(try? s.rawList()))")
                #expect(namespace(of: try #require(final.pid)) == newest)
                let reason = final["last_error"]?.stringValue ?? ""
                #expect(reason.hasSuffix("was replaced by another namespace: leaving it")
                        || reason.hasSuffix("was deleted: leaving it"), "\(final.serialized())")
                #expect(!ProcessTable.isAlive(secondPID))
                #expect(try s.current.workerPIDs() == [final.pid!], "one worker, in the newest namespace")
            }
        }
    }
}

/// The network namespace a process is in.
func namespace(of pid: pid_t) -> NamespaceIdentity? {
    NetworkNamespaceFile.identity(of: "/proc/\(pid)/ns/net")
}

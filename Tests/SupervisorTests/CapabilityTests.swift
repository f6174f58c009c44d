import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// contrib/joold-supervisor.service runs the supervisor as root with exactly the
    /// capabilities of its CapabilityBoundingSet, which its workers inherit. The same
    /// bounding set through setpriv: with it, everything works; without each one, the
    /// call that needs it fails, and says so (docs/capabilities.md).
    @Suite struct Capabilities {
        @Test func theUnitsCapabilitiesAreEnoughToSuperviseAndSync() throws {
            let capabilities = try unitCapabilities()
            #expect(capabilities == ["chown", "net_admin", "sys_admin"])
            let group = try TemporaryGroup(prefix: "jcap")
            defer { group.delete() }
            try withTwoNodes(version: .v4_1_9, group: group.name, prefix: setpriv(keeping: capabilities)) { k, j in
                // The supervisors and their workers hold those, and no other.
                let expected = capabilityMask(capabilities)
                for node in [k, j] {
                    let workers = node.supervisor.workerPIDs()
                    #expect(workers.count == 1)
                    for pid in [node.supervisor.pid] + workers {
                        #expect(effectiveCapabilities(of: pid) == expected, "pid \(pid)")
                    }
                }
                // The socket went to the control group (CAP_CHOWN).
                var info = stat()
                #expect(lstat(k.supervisor.socketPath, &info) == 0 && info.st_gid == group.gid)

                // Sync, both ways: each kernel's sessions reach the other kernel.
                k.kernel.multicast(payload: sessionPayload(3), instance: "default")
                #expect(j.kernel.wait { $0.adds.count == 1 }, "J's kernel got \(j.kernel.record.adds.count) ADDs")
                j.kernel.multicast(payload: sessionPayload(4), instance: "default")
                #expect(k.kernel.wait { $0.adds.count == 1 }, "K's kernel got \(k.kernel.record.adds.count) ADDs")

                // A worker killed is restarted (in its namespace), and SIGTERM stops everything.
                let first = try #require(k.supervisor.workerPIDs().first)
                kill(first, SIGKILL)
                let restarted = eventually(within: .seconds(10)) { () -> pid_t? in
                    guard let status = try? onlyInstance(k.ctl("status", "default", "--netns", k.netns, "--json")),
                          isRunning(status), let pid = status.pid, pid != first else { return nil }
                    return pid
                }
                #expect(restarted != nil)
                k.kernel.multicast(payload: sessionPayload(2), instance: "default")
                #expect(j.kernel.wait { $0.adds.count == 2 })
                k.supervisor.signal(SIGTERM)
                #expect(k.supervisor.waitForExit()?.status == 0)
            }
        }

        @Test func withoutCapChownTheSocketCannotGoToTheControlGroup() throws {
            let group = try TemporaryGroup(prefix: "jcap")
            defer { group.delete() }
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let capabilities = try unitCapabilities().filter { $0 != "chown" }
            let refused = try runCommand(setpriv(keeping: capabilities) + [
                Binaries.supervisor, "--socket", directory.file("run/s.sock"), "--state", directory.file("state.json"),
                "--group", group.name,
            ], timeout: .seconds(20))
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("cannot start: chown(\(directory.file("run"))): Operation not permitted"), "\(refused)")
        }

        @Test func withoutCapSysAdminAWorkerCannotEnterItsNamespace() throws {
            let capabilities = try unitCapabilities().filter { $0 != "sys_admin" }
            try Scenario.with(namespaces: 1, startSupervisor: false) { s in
                try s.startSupervisor(prefix: setpriv(keeping: capabilities))
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", netns, "--json")
                #expect(added.status == 0, "\(added)")
                #expect(try added.json().waitingFor
                        == "cannot enter network namespace /run/netns/\(netns): Operation not permitted (setns needs CAP_SYS_ADMIN)",
                        "\(added)")
                // In the supervisor's own namespace there is nothing to enter.
                let own = try s.ctl("add", "--instance", "default", "--net", net, "--json")
                #expect(try own.status == 0 && isRunning(own.json()), "\(own)")
            }
        }
    }
}

/// The capabilities CapabilityBoundingSet= of contrib/joold-supervisor.service names, as
/// setpriv spells them ("net_admin"), sorted.
private func unitCapabilities() throws -> [String] {
    let unit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("contrib/joold-supervisor.service").path
    let text = try String(contentsOfFile: unit, encoding: .utf8)
    let lines = text.split(separator: "\n").filter { $0.hasPrefix("CapabilityBoundingSet=") }
    guard lines.count == 1, let line = lines.first else { throw TestFailure("\(unit): one CapabilityBoundingSet= line expected") }
    return line.dropFirst("CapabilityBoundingSet=".count).split(separator: " ")
        .map { $0.lowercased().replacingOccurrences(of: "cap_", with: "") }.sorted()
}

/// setpriv as systemd's CapabilityBoundingSet= does it for root: a bounding set, nothing
/// inheritable or ambient; as uid 0 the program then holds exactly the bounding set.
private func setpriv(keeping capabilities: [String]) -> [String] {
    ["/usr/bin/setpriv", "--inh-caps=-all", "--ambient-caps=-all",
     "--bounding-set=-all" + capabilities.map { ",+\($0)" }.joined()]
}

private func capabilityMask(_ names: [String]) -> UInt64 {
    let numbers = ["chown": 0, "dac_override": 1, "fowner": 3, "kill": 5, "net_bind_service": 10, "net_raw": 13,
                   "net_admin": 12, "sys_ptrace": 19, "sys_admin": 21]
    return names.reduce(0) { $0 | (1 << UInt64(numbers[$1]!)) }
}

/// CapEff of /proc/PID/status.
private func effectiveCapabilities(of pid: pid_t) -> UInt64? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }) else { return nil }
    return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
}

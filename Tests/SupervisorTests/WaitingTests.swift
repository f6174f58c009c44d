import Configuration
import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// What a missing prerequisite looks like in `jooldctl status` (state `waiting` and
    /// what it waits for), and that the instance runs once the prerequisite is there.
    @Suite struct Waiting {
        /// `jooldctl status NAME --netns NS` as a table: the row's STATE and DETAIL.
        private func tableRow(_ s: Scenario, _ name: String, netns: String) throws -> (state: String, detail: String) {
            let result = try s.ctl("status", name, "--netns", netns)
            guard result.status == 0, result.stderr.isEmpty else { throw TestFailure("jooldctl status: \(result)") }
            let lines = result.stdout.split(separator: "\n")
            guard lines.count == 2, let header = lines.first, let detailColumn = header.range(of: "DETAIL") else {
                throw TestFailure("unexpected status table: \(result.stdout)")
            }
            let row = String(lines[1])
            let fields = row.split(separator: " ", omittingEmptySubsequences: true)
            let offset = header.distance(from: header.startIndex, to: detailColumn.lowerBound)
            return (String(fields[2]), String(row.dropFirst(offset)))
        }

        @Test func moduleNotLoadedThenLoaded() throws {
            try Scenario.with(namespaces: 1) { s in
                s.kernel.setModuleLoaded(false)
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", s.namespaces[0], "--json")
                try #require(added.status == 0, "\(added)")
                let status = try added.json()
                #expect(status.state == "waiting", "\(status.serialized())")
                #expect(status.waitingFor == "the jool kernel module is not loaded")
                #expect(status.pid != nil, "a waiting worker is running")
                let row = try tableRow(s, "default", netns: s.namespaces[0])
                #expect(row.state == "waiting" && row.detail == "the jool kernel module is not loaded", "\(row)")
                // A waiting worker answers for its stats: it has relayed nothing.
                let stats = try s.ctl("stats", "default", "--netns", s.namespaces[0])
                let zeros = ["KERNEL_SENT_PKTS", "KERNEL_SENT_BYTES", "NET_RCVD_PKTS", "NET_RCVD_BYTES", "NET_SENT_PKTS", "NET_SENT_BYTES"]
                    .map { "\($0),0\n" }.joined()
                #expect(stats.status == 0 && stats.stderr.isEmpty && stats.stdout.hasPrefix(zeros), "\(stats)")

                let loadedAt = ContinuousClock.now
                s.kernel.setModuleLoaded(true)
                let running = try s.waitFor("default", netns: s.namespaces[0], within: .seconds(4)) { isRunning($0) }
                let latency = ContinuousClock.now - loadedAt
                print("[SupervisorTests] running \(latency) after the module was loaded")
                let now = try #require(running, "still not running: \(describe(try? s.rawList()))")
                #expect(latency < .seconds(3), "took \(latency)")
                #expect(now.pid == status.pid, "the same worker, no restart")
                #expect(now.restarts == 0)
                #expect(now.waitingFor == nil && now["ss_enabled"] == .bool(true))
                #expect(try s.status("default", netns: s.namespaces[0]).state == "running")
            }
        }

        @Test func instanceMissingThenCreated() throws {
            try Scenario.with(namespaces: 1, kernelInstances: [.init(name: "other")]) { s in
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "potato", "--net", net, "--netns", s.namespaces[0], "--json")
                try #require(added.status == 0, "\(added)")
                let status = try added.json()
                #expect(status.state == "waiting", "\(status.serialized())")
                #expect(status.waitingFor?.contains("no NAT64 Jool instance named 'potato'") == true, "\(status.serialized())")
                let row = try tableRow(s, "potato", netns: s.namespaces[0])
                #expect(row.state == "waiting" && row.detail.contains("no NAT64 Jool instance named 'potato'"), "\(row)")

                let createdAt = ContinuousClock.now
                s.kernel.update { $0.append(SimulatedJool.Instance(name: "potato")) }
                let running = try s.waitFor("potato", netns: s.namespaces[0], within: .seconds(4)) { isRunning($0) }
                let latency = ContinuousClock.now - createdAt
                print("[SupervisorTests] running \(latency) after the instance was created")
                let now = try #require(running, "still not running: \(describe(try? s.rawList()))")
                #expect(latency < .seconds(3), "took \(latency)")
                #expect(now.pid == status.pid && now.restarts == 0)
            }
        }

        @Test func sessionSyncDisabledWaitsUnlessEnableSSIsGiven() throws {
            try Scenario.with(namespaces: 1, kernelInstances: [.init(name: "quiet", ssEnabled: false),
                                                              .init(name: "loud", ssEnabled: false)]) { s in
                let net = try s.netFile("net.json", NetFiles.disabled)
                let quiet = try s.ctl("add", "--instance", "quiet", "--net", net, "--netns", s.namespaces[0], "--json")
                try #require(quiet.status == 0, "\(quiet)")
                let status = try quiet.json()
                #expect(status.state == "waiting", "\(status.serialized())")
                #expect(status.waitingFor?.contains("ss-enabled is false") == true, "\(status.serialized())")
                #expect(status["ss_enabled"] == .bool(false))
                let row = try tableRow(s, "quiet", netns: s.namespaces[0])
                #expect(row.state == "waiting" && row.detail.contains("ss-enabled is false"), "\(row)")

                let loud = try s.ctl("add", "--instance", "loud", "--net", net, "--netns", s.namespaces[0], "--enable-ss", "--json")
                try #require(loud.status == 0, "\(loud)")
                let loudStatus = try loud.json()
                #expect(isRunning(loudStatus), "\(loudStatus.serialized())")
                #expect(loudStatus["ss_enabled"] == .bool(true))
                var inKernel: [String: Bool] = [:]
                s.kernel.update { list in
                    for instance in list { inKernel[instance.name] = instance.ssEnabled }
                }
                #expect(inKernel == ["quiet": false, "loud": true], "only --enable-ss turns ss-enabled on")
                #expect(try s.status("quiet", netns: s.namespaces[0]).state == "waiting")
                let state = try JSONValue.load(path: s.statePath)
                let enable = state["instances"]?.arrayValue?.map { "\($0["instance"]?.stringValue ?? "?")=\($0["enable_ss"]?.serialized() ?? "?")" }
                #expect(enable == ["loud=true", "quiet=false"])
            }
        }

        @Test func namespaceDeletedWhileTheSupervisorWasDown() throws {
            try Scenario.with(namespaces: 1) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", netns, "--json")
                try #require(added.status == 0, "\(added)")
                #expect(isRunning(try added.json()))

                let first = try s.current
                first.signal(SIGTERM)
                #expect(first.waitForExit()?.status == 0)
                s.namespaces.delete(netns)
                try s.startSupervisor()

                let waiting = try s.waitFor("default", netns: netns) { $0.state == "waiting" }
                let status = try #require(waiting, "not waiting: \(describe(try? s.rawList()))")
                #expect(status.waitingFor == "network namespace /run/netns/\(netns) does not exist", "\(status.serialized())")
                let row = try tableRow(s, "default", netns: netns)
                #expect(row.state == "waiting" && row.detail == "network namespace /run/netns/\(netns) does not exist", "\(row)")

                // The namespace comes back: the worker enters it on its next try.
                try s.namespaces.create(netns)
                let running = try s.waitFor("default", netns: netns, within: .seconds(4)) { isRunning($0) }
                #expect(running != nil, "not running after the namespace came back: \(describe(try? s.rawList()))")
                #expect(running?.pid == status.pid)

                // It is still the same (namespace, instance), however the namespace is spelled.
                let byPath = try s.ctl("status", "default", "--netns", "/run/netns/\(netns)", "--json")
                #expect(byPath.status == 0 && (try? onlyInstance(byPath).pid) == status.pid, "\(byPath)")
                let duplicate = try s.ctl("add", "--instance", "default", "--net", net, "--netns", "/run/netns/\(netns)")
                #expect(duplicate.status == 1 && duplicate.stderr.hasSuffix("(instance-exists)\n"), "\(duplicate)")
                #expect(try s.list().count == 1)
            }
        }
    }
}

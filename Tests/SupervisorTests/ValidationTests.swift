import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// `add` refusals: each a clear error, and nothing added (the list, the state file
    /// and the worker processes as before).
    @Suite struct Validation {
        /// What must not change when an add is refused.
        private struct Snapshot: Equatable {
            var list: [String]
            var stateFile: String?
            var workers: Set<pid_t>

            init(_ s: Scenario) throws {
                // uptime_seconds moves: keep what identifies each instance and its worker.
                list = try s.list().map { status in
                    ["instance", "netns", "state", "pid", "restarts", "last_error", "waiting_for"]
                        .map { status[$0]?.serialized() ?? "absent" }.joined(separator: " ")
                }
                stateFile = s.directory.read("state.json")
                workers = try s.current.workerPIDs()
            }
        }

        /// The snapshot once any worker started for the refused add has gone.
        private func settled(_ s: Scenario, like expected: Snapshot) throws -> Snapshot {
            try eventually(within: .seconds(6)) { () -> Snapshot? in
                let now = try Snapshot(s)
                return now == expected ? now : nil
            } ?? Snapshot(s)
        }

        private func expectRefusal(_ result: CommandResult, code: String, mentioning detail: String? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
            #expect(result.stdout == "", "\(result)", sourceLocation: sourceLocation)
            #expect(result.stderr.hasPrefix("jooldctl: ") && result.stderr.hasSuffix(" (\(code))\n"), "\(result)",
                    sourceLocation: sourceLocation)
            if let detail {
                #expect(result.stderr.contains(detail), "\(result)", sourceLocation: sourceLocation)
            }
        }

        @Test func refusedAddsAddNothing() throws {
            try Scenario.with(namespaces: 1, kernelInstances: [.init(name: "alpha"), .init(name: "beta")]) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "alpha", "--net", net, "--netns", netns)
                try #require(added.status == 0, "\(added)")
                try #require(try s.waitFor("alpha", netns: netns) { isRunning($0) } != nil)
                let before = try Snapshot(s)
                #expect(before.list.count == 1 && before.workers.count == 1 && before.stateFile != nil)

                // The same pair again, spelled as given or as the namespace's file.
                for spelling in [netns, "/run/netns/\(netns)"] {
                    let again = try s.ctl("add", "--instance", "alpha", "--net", net, "--netns", spelling)
                    expectRefusal(again, code: "instance-exists", mentioning: "alpha")
                    let json = try s.ctl("add", "--instance", "alpha", "--net", net, "--netns", spelling, "--json")
                    #expect(json.status == 1)
                    #expect(try json.json()["error"]?["code"] == .string("instance-exists"), "\(json)")
                    #expect(try settled(s, like: before) == before)
                }

                // A namespace that does not exist.
                let missing = s.namespaces.unusedName("zz")
                let nowhere = try s.ctl("add", "--instance", "beta", "--net", net, "--netns", missing)
                expectRefusal(nowhere, code: "no-such-namespace", mentioning: missing)
                #expect(try settled(s, like: before) == before)

                // A value only the supervisor sees (jooldctl checks its files itself).
                let ttl = #"{"multicast address": "ff08::db8:64:64", "multicast port": "6464", "ttl": 300}"#
                let client = try s.ctl("add", "--instance", "beta", "--net", try s.netFile("ttl.json", ttl), "--netns", netns)
                #expect(client.status == 2 && client.stderr.contains("\"ttl\""), "jooldctl checks the file: \(client)")
                let raw = try RawControlClient.request(#"{"id": 5, "op": "add", "instance": "beta", "netns": "\#(netns)", "net": \#(ttl)}"#,
                                                socketPath: s.socketPath)
                #expect(raw.id == .integer(5))
                #expect(raw.errorCode == .invalidConfig, "\(raw)")
                #expect(raw.errorMessage?.contains("ttl") == true, "\(raw)")
                #expect(try settled(s, like: before) == before)

                // An interface the namespace lacks: only the worker, inside it, can tell.
                let noInterface = try s.netFile("nosuch.json", NetFiles.ipv6(interface: "nosuch0"))
                let rejected = try s.ctl("add", "--instance", "beta", "--net", noInterface, "--netns", netns)
                expectRefusal(rejected, code: "invalid-config", mentioning: "nosuch0")
                let after = try settled(s, like: before)
                #expect(after == before, "the rejected worker must be gone and nothing remembered")
                // One the supervisor's own namespace has (when the host has one besides lo):
                // resolved in the instance's namespace, where it does not exist.
                if let hostInterface = hostInterfaceOtherThanLoopback() {
                    let hostNet = try s.netFile("host.json", NetFiles.ipv6(interface: hostInterface))
                    let notThere = try s.ctl("add", "--instance", "beta", "--net", hostNet, "--netns", netns)
                    expectRefusal(notThere, code: "invalid-config", mentioning: hostInterface)
                    #expect(try settled(s, like: before) == before)
                }

                // Names longer than 15 characters.
                let long = "abcdefghijklmnop"
                #expect(long.count == 16)
                let usage = try s.ctl("add", "--instance", long, "--net", net, "--netns", netns)
                #expect(usage.status == 2 && usage.stdout == "" && usage.stderr.contains(long), "\(usage)")
                let rawName = try RawControlClient.request(#"{"op": "add", "instance": "\#(long)", "netns": "\#(netns)", "net": {}}"#,
                                                    socketPath: s.socketPath)
                #expect(rawName.errorCode == .invalidName, "\(rawName)")
                #expect(try settled(s, like: before) == before)

                // The supervisor is fine and still knows exactly one instance.
                #expect(try s.list().compactMap { $0["instance"]?.stringValue } == ["alpha"])
            }
        }
    }
}

/// An interface of the test's (and the supervisor's) namespace other than lo, if any.
func hostInterfaceOtherThanLoopback() -> String? {
    guard let list = if_nameindex() else { return nil }
    defer { if_freenameindex(list) }
    var entry = list
    while entry.pointee.if_index != 0 {
        let name = String(cString: entry.pointee.if_name)
        if name != "lo" { return name }
        entry += 1
    }
    return nil
}

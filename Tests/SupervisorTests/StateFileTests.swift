import Configuration
import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// The state file and the start: a bad file refuses the start with the key named, one
    /// supervisor per state file, a socket directory someone else owns is refused, and an
    /// operator's edit survives a refused reload.
    @Suite struct StateFile {
        /// `joold-supervisor` run to its end (it is expected to refuse to start).
        private func refusedStart(_ s: Scenario, state: String? = nil, socket: String? = nil) throws -> CommandResult {
            try runCommand([Binaries.supervisor, "--socket", socket ?? s.directory.file("other/supervisor.sock"),
                            "--state", state ?? s.statePath], timeout: .seconds(15))
        }

        @Test func aWrongStateFileRefusesTheStartNamingTheKey() throws {
            try Scenario.with(namespaces: 1, startSupervisor: false) { s in
                let netns = s.namespaces[0]
                let cases: [(String, String)] = [
                    (#"{"instance": "a", "netns": 5, "net": {}}"#, "field 'netns' must be a string, found an integer"),
                    (#"{"instance": "a", "netns": ["\#(netns)"], "net": {}}"#, "field 'netns' must be a string, found an array"),
                    (#"{"instance": "a", "net": {}, "enable_ss": "yes"}"#, "field 'enable_ss' must be true or false, found a string"),
                    (#"{"instance": "a", "net": {}, "enable-ss": true}"#, "unknown field 'enable-ss'"),
                    (#"{"instance": "a", "net": {}, "stats": {"address": "nope"}}"#, #"field 'stats', key "address": expected an IPv4 or IPv6 address to bind"#),
                    (#"{"instance": "a", "net": {"ttl": "\u001b[2J"}}"#, #"field 'net', key "ttl": expected an integer from 0 to 255, found a string"#),
                    (#"{"instance": "a b", "net": {}, "stats": {"address": "\u001b[2J"}}"#,
                     #"field 'stats', key "address": expected an IPv4 or IPv6 address to bind (such as "::" or "127.0.0.1"; host names are not resolved), found "\u{1B}[2J""#),
                ]
                for (entry, message) in cases {
                    try s.directory.write("state.json", #"{"version": 1, "instances": [\#(entry)]}"#)
                    let result = try refusedStart(s)
                    #expect(result.status == 1 && !result.signalled, "\(result)")
                    #expect(result.stderr.contains("joold-supervisor: cannot start: state file '\(s.statePath)', instance 1: \(message)"),
                            "\(result)")
                    #expect(!result.stderr.unicodeScalars.contains("\u{1B}"), "control bytes are escaped: \(result)")
                }
                try s.directory.write("state.json", #"{"version": 99, "instances": []}"#)
                let version = try refusedStart(s)
                #expect(version.status == 1 && version.stderr.contains("version 99 is not supported"), "\(version)")

                // Two spellings of one namespace would have been two workers for one instance.
                try s.directory.write("state.json", """
                    {"version": 1, "instances": [{"instance": "a", "netns": "\(netns)", "net": {}},
                                                 {"instance": "a", "netns": "/run/netns/\(netns)", "net": {}}]}
                    """)
                let twice = try refusedStart(s)
                #expect(twice.status == 1, "\(twice)")
                #expect(twice.stderr.contains("instance 'a' appears twice: in namespace '\(netns)' and in namespace '/run/netns/\(netns)'"),
                        "\(twice)")

                // A directory given as the state file.
                let directory = s.directory.file("state.d")
                #expect(mkdir(directory, 0o755) == 0)
                let asDirectory = try refusedStart(s, state: directory)
                #expect(asDirectory.status == 1 && asDirectory.stderr.contains("the state file \(directory) is a directory, not a regular file"),
                        "\(asDirectory)")
            }
        }

        @Test func aSecondSupervisorOnTheSameStateFileRefusesToStart() throws {
            try Scenario.with(namespaces: 1) { s in
                let first = try s.current
                let second = try refusedStart(s)
                #expect(second.status == 1, "\(second)")
                #expect(second.stderr.contains("another joold-supervisor (pid \(first.pid)) uses the state file \(s.statePath)"), "\(second)")
                #expect(first.isRunning)
                #expect(try s.list().isEmpty)
            }
        }

        @Test func aSocketDirectoryOwnedBySomeoneElseIsRefused() throws {
            try Scenario.with(namespaces: 1, startSupervisor: false) { s in
                let directory = s.directory.file("theirs")
                #expect(mkdir(directory, 0o755) == 0 && chown(directory, 65534, 65534) == 0)
                let result = try refusedStart(s, socket: directory + "/supervisor.sock")
                #expect(result.status == 1, "\(result)")
                #expect(result.stderr.contains("the control socket's directory \(directory) belongs to uid 65534"), "\(result)")
                var info = stat()
                #expect(stat(directory, &info) == 0 && info.st_uid == 65534 && info.st_mode & 0o777 == 0o755, "left as it was")
            }
        }

        /// SIGHUP with the state file missing or invalid keeps every worker and says why;
        /// `add` and `remove` are then refused (state-file-changed) instead of overwriting
        /// the operator's file, until it is fixed and reloaded.
        @Test func aRefusedReloadKeepsTheWorkersAndTheEdit() throws {
            try Scenario.with(namespaces: 1, kernelInstances: [.init(name: "alpha"), .init(name: "beta"), .init(name: "gamma")]) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                try #require(try s.ctl("add", "alpha", "--net", net, "--netns", netns).status == 0)
                let alpha = try #require(try s.waitFor("alpha", netns: netns) { isRunning($0) }?.pid)
                let saved = try #require(s.directory.read("state.json"))

                // Missing.
                unlink(s.statePath)
                try s.current.signal(SIGHUP)
                #expect(eventually(within: .seconds(3)) {
                    (try? s.current.log.contains("SIGHUP: not reloading: the state file \(s.statePath) does not exist; keeping the 1 instance(s)")) == true ? true : nil
                } == true, "\(s.logs)")
                #expect(try s.list().map { "\($0["instance"]!.stringValue!) \($0.pid!) \($0.state!)" } == ["alpha \(alpha) running"])
                let refusedAdd = try s.ctl("add", "beta", "--net", net, "--netns", netns)
                #expect(refusedAdd.status == 1 && refusedAdd.stderr.hasSuffix("(state-file-changed)\n"), "\(refusedAdd)")
                #expect(refusedAdd.stderr.contains("the state file \(s.statePath) was removed"), "\(refusedAdd)")
                #expect(access(s.statePath, F_OK) != 0, "not written back")
                #expect(try s.list().count == 1 && s.current.workerPIDs() == [alpha])

                // An edit with a mistake: refused on reload, kept on disk.
                let edit = saved.replacingOccurrences(of: "\"instances\": [", with: """
                    "instances": [{"instance": "gamma", "netns": "\(netns)", "net": {}, "enable_ss": "no"},
                    """)
                try edit.write(toFile: s.statePath, atomically: true, encoding: .utf8)
                try s.current.signal(SIGHUP)
                #expect(eventually(within: .seconds(3)) {
                    (try? s.current.log.contains("field 'enable_ss' must be true or false")) == true ? true : nil
                } == true, "\(s.logs)")
                let refusedRemove = try s.ctl("remove", "alpha", "--netns", netns)
                #expect(refusedRemove.status == 1 && refusedRemove.stderr.hasSuffix("(state-file-changed)\n"), "\(refusedRemove)")
                #expect(s.directory.read("state.json") == edit)
                #expect(try s.list().map { "\($0["instance"]!.stringValue!) \($0.pid!)" } == ["alpha \(alpha)"])

                // Fixed and reloaded: the edit is applied, and adding works again, keeping it.
                try edit.replacingOccurrences(of: #""enable_ss": "no""#, with: #""enable_ss": false"#)
                    .write(toFile: s.statePath, atomically: true, encoding: .utf8)
                try s.current.signal(SIGHUP)
                #expect(try s.waitFor("gamma", netns: netns) { isRunning($0) } != nil, "\(s.logs)")
                let added = try s.ctl("add", "beta", "--net", net, "--netns", netns)
                #expect(added.status == 0, "\(added)")
                #expect(try stateFileInstances(s.statePath) == ["\(netns)/alpha", "\(netns)/beta", "\(netns)/gamma"])
                #expect(try entry(s.list(), "alpha", netns: netns)?.pid == alpha, "alpha's worker was never touched")
            }
        }

        /// What `add` refuses besides what jooldctl checks itself: unknown fields, and a
        /// stats address that is no address (it was kept, and failed in the worker).
        @Test func addRefusesUnknownFieldsAndAStatsAddressThatIsNoAddress() throws {
            try Scenario.with(namespaces: 1) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let stats = try s.netFile("stats.json", #"{"address": "nope", "port": 45678}"#)
                let client = try s.ctl("add", "default", "--net", net, "--stats", stats, "--netns", netns)
                #expect(client.status == 2 && client.stderr.contains(#"key "address": expected an IPv4 or IPv6 address"#), "\(client)")
                let raw = try RawControlClient.request(#"{"op": "add", "instance": "default", "netns": "\#(netns)", "net": {}, "stats": {"address": "nope"}}"#,
                                                socketPath: s.socketPath)
                #expect(raw.errorCode == .invalidConfig && raw.errorMessage?.contains("\"nope\"") == true, "\(raw)")
                let unknown = try RawControlClient.request(#"{"op": "add", "instance": "default", "netns": "\#(netns)", "net": {}, "enable-ss": true}"#,
                                                    socketPath: s.socketPath)
                #expect(unknown.errorCode == .unknownField && unknown.errorMessage?.contains("did you mean 'enable_ss'?") == true, "\(unknown)")
                let typed = try RawControlClient.request(#"{"op": "add", "instance": "default", "netns": ["\#(netns)"], "net": {}}"#,
                                                  socketPath: s.socketPath)
                #expect(typed.errorCode == .wrongType && typed.errorMessage == "field 'netns' must be a string, found an array", "\(typed)")
                #expect(try s.list().isEmpty)
                #expect(s.directory.read("state.json") == nil)
            }
        }

        /// Jool accepts spaces, quotes, "/" and "$(...)" in instance names, so the
        /// supervisor does too; `list` quotes them so that each stays one word.
        @Test func namesJoolAcceptsAreKeptAndListedUnambiguously() throws {
            let names = ["a b", "x/y", "$(id)"]
            try Scenario.with(namespaces: 1, kernelInstances: names.map { SimulatedJool.Instance(name: $0) }) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                for name in names {
                    let added = try s.ctl("add", name, "--net", net, "--netns", netns)
                    #expect(added.status == 0, "\(added)")
                }
                for name in names { #expect(try s.waitFor(name, netns: netns) { isRunning($0) } != nil, "\(name): \(s.logs)") }
                #expect(try s.list().compactMap { $0["instance"]?.stringValue } == names.sorted())
                let table = try s.ctl("list")
                let firstColumn = table.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != " " }) }
                #expect(firstColumn == ["'$(id)'", "'a", "'x/y'"], "\(table.stdout)")
                #expect(table.stdout.contains("'a b'  "), "\(table.stdout)")
                #expect(try stateFileInstances(s.statePath) == names.sorted().map { "\(netns)/\($0)" })
            }
        }
    }
}

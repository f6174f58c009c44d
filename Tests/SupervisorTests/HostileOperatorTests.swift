import Configuration
import ControlProtocol
import Foundation
import Glibc
import JoolSimulator
import LinuxRuntime
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// A member of the control group who tries to hurt root (README, "Trust model"): with
    /// a real user, the real supervisor, jooldctl and a misbehaving client process. Root
    /// keeps control throughout (its `list` is answered within 100 ms, measured), nothing
    /// blocks, the answers tell nothing about files, and no worker outlives its supervisor.
    @Suite struct HostileOperator {
        @Test func everyPathTrickGetsTheSameAnswerAndNothingBlocks() throws {
            let member = try Member()
            defer { member.delete() }
            try Scenario.with(namespaces: 1, group: member.group.name) { s in
                var latencies = Latencies()
                let netns = s.namespaces[0]
                let netnsFile = "/run/netns/\(netns)"
                let net = try s.netFile("net.json", NetFiles.disabled)
                // Something root runs in the namespace, for /proc/PID/ns/*.
                let resident = try Resident(in: netns)
                defer { resident.stop() }

                // The member's own files, and root's behind a 0700 directory (a real
                // namespace among them, mounted there).
                let own = s.directory.file("member")
                try makeDirectory(own, mode: 0o755, owner: member.user.uid)
                let fifo = own + "/fifo"
                try check(mkfifo(fifo, 0o600) == 0 && chown(fifo, member.user.uid, member.group.gid) == 0, "mkfifo", fifo)
                try "not a namespace\n".write(toFile: own + "/plain", atomically: false, encoding: .utf8)
                try makeDirectory(own + "/directory", mode: 0o755, owner: member.user.uid)
                for (link, target) in [("to-fifo", fifo), ("to-shadow", "/etc/shadow"), ("to-netns", netnsFile),
                                       ("to-proc-net", "/proc/\(resident.pid)/ns/net"), ("to-null", "/dev/null")] {
                    try check(symlink(target, own + "/" + link) == 0, "symlink", link)
                }
                let secret = s.directory.file("secret")
                try makeDirectory(secret, mode: 0o700, owner: 0)
                try "root's secret\n".write(toFile: secret + "/file", atomically: false, encoding: .utf8)
                try "".write(toFile: secret + "/ns", atomically: false, encoding: .utf8)
                try Shell.run(["/usr/bin/mount", "--bind", netnsFile, secret + "/ns"])
                defer { _ = try? Shell.run(["/usr/bin/umount", secret + "/ns"]) }

                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", netns)
                try #require(added.status == 0, "\(added)")
                try latencies.probe(s)
                let before = try Snapshot(s)

                // Not a network namespace, or not one a member may name: one answer for all.
                let missingName = s.namespaces.unusedName("zz")
                let tricks = [
                    fifo, own + "/to-fifo", "/dev/null", "/dev/zero", "/dev/tty", "/dev/kmsg", "/etc/shadow",
                    own + "/plain", own + "/directory", own, "/", own + "/to-shadow", own + "/to-null",
                    own + "/to-netns", own + "/to-proc-net", secret + "/file", secret + "/ns", secret + "/missing",
                    "/proc/\(resident.pid)/ns/mnt", "/proc/\(resident.pid)/ns/user", "/proc/\(resident.pid)/ns/pid",
                    "/proc/\(resident.pid)/ns/uts", "/proc/\(resident.pid)/ns/cgroup", "/proc/\(resident.pid)/ns/ipc",
                    "/proc/\(resident.pid)/task/\(resident.pid)/ns/net", "/proc/\(resident.pid)/root\(netnsFile)",
                    "/proc/self/ns/net", "/proc/thread-self/ns/net", "/proc/999999999/ns/net", "/proc/\(resident.pid)/ns/net/",
                    "/nonexistent/path", missingName, "/run/netns/\(missingName)", "/run/netns/../../etc/shadow",
                    "/run/netns/..", "/run/netns/", "../../etc/shadow", "..", ".", "fifo",
                ]
                var answers: [String: [String]] = [:]
                var textAnswers: Set<String> = []
                for trick in tricks {
                    let text = try member.jooldctl(["add", "--instance", "trick", "--net", net, "--netns", trick], s)
                    let json = try member.jooldctl(["add", "--instance", "trick", "--net", net, "--netns", trick, "--json"], s)
                    #expect(text.status == 1 && text.stdout == "" && json.status == 1, "\(trick): \(text) \(json)")
                    #expect(text.stderr.hasSuffix("(no-such-namespace)\n"), "\(trick): \(text)")
                    let textShape = text.stderr.replacingOccurrences(of: "'\(trick)'", with: "'ARG'")
                    let jsonShape = json.stdout.replacingOccurrences(of: "'\(trick.jsonEscaped)'", with: "'ARG'")
                    textAnswers.insert(textShape)
                    answers[textShape + jsonShape, default: []].append(trick)
                    try latencies.probe(s, count: 1)
                }
                #expect(answers.count == 1, "the answers differ: \(answers)")
                #expect(try Snapshot(s) == before, "nothing was added, started or written")

                // What a member may name: the ip netns name, its /run/netns path, a /proc/PID/ns/net.
                for (name, spelling) in [("m1", netns), ("m2", netnsFile), ("m3", "/proc/\(resident.pid)/ns/net")] {
                    let accepted = try member.jooldctl(["add", "--instance", name, "--net", net, "--netns", spelling, "--json"], s)
                    #expect(accepted.status == 0, "\(spelling): \(accepted)")
                    let pid = try #require(try accepted.json().pid, "\(accepted)")
                    #expect(namespace(of: pid) == NetworkNamespaceFile.identity(of: netnsFile), "\(name) runs in the namespace")
                    #expect(try member.jooldctl(["remove", name, "--netns", spelling], s).status == 0)
                }

                // Root gets the same answer for every file that is no network namespace, and
                // may name any path to one.
                for trick in [fifo, own + "/to-fifo", "/dev/null", "/dev/zero", "/etc/shadow", own + "/plain", own,
                              secret + "/file", secret + "/missing", "/proc/\(resident.pid)/ns/mnt",
                              "/proc/\(resident.pid)/ns/user", "/proc/999999999/ns/net", "/nonexistent/path"] {
                    let refused = try s.ctl("add", "--instance", "trick", "--net", net, "--netns", trick)
                    #expect(refused.status == 1, "\(trick): \(refused)")
                    #expect(textAnswers.contains(refused.stderr.replacingOccurrences(of: "'\(trick)'", with: "'ARG'")),
                            "\(trick): \(refused)")
                }
                for (name, path) in [("r1", secret + "/ns"), ("r2", own + "/to-netns")] {
                    let accepted = try s.ctl("add", "--instance", name, "--net", net, "--netns", path, "--json")
                    #expect(accepted.status == 0, "root may name \(path): \(accepted)")
                    #expect(try s.ctl("remove", name, "--netns", path).status == 0)
                }

                try latencies.probe(s)
                #expect(try settled(s, like: before) == before)
                latencies.check("path tricks")
            }
        }

        @Test func aBlockingPathInTheStateFileNeitherHangsAWorkerNorLeavesAnOrphan() throws {
            try Scenario.with(namespaces: 1, startSupervisor: false) { s in
                let netns = s.namespaces[0]
                let fifo = s.directory.file("fifo")
                try check(mkfifo(fifo, 0o600) == 0, "mkfifo", fifo)
                s.directory.write("state.json", """
                    {"version": 1, "instances": [
                      {"instance": "default", "netns": "\(fifo)", "net": {}},
                      {"instance": "default", "netns": "\(netns)", "net": {}}]}
                    """)
                let first = try s.startSupervisor()
                // The FIFO is no namespace: its worker waits, as for a missing one, instead of
                // blocking in open() for ever.
                let waiting = try s.waitFor("default", netns: fifo) { $0.state == "waiting" }
                #expect(waiting?.waitingFor == "network namespace \(fifo) does not exist", "\(describe(try? s.rawList()))")
                #expect(try s.waitFor("default", netns: netns) { isRunning($0) } != nil)
                let workers = first.workerPIDs()
                #expect(workers.count == 2)

                // kill -9: no worker outlives its supervisor.
                first.signal(SIGKILL)
                #expect(first.waitForExit()?.signalled == true)
                let orphans = eventually(within: .seconds(3)) { () -> Set<pid_t>? in
                    let alive = workers.filter(ProcessTable.isAlive)
                    return alive.isEmpty ? [] : nil
                } ?? workers.filter(ProcessTable.isAlive)
                #expect(orphans.isEmpty, "workers left behind: \(orphans)")

                // The next supervisor runs one worker per instance, and they are the only ones.
                let second = try s.startSupervisor()
                #expect(try s.waitFor("default", netns: netns) { isRunning($0) } != nil)
                #expect(try s.waitFor("default", netns: fifo) { $0.state == "waiting" } != nil)
                #expect(second.workerPIDs().count == 2)
                #expect(allWorkers().subtracting(second.workerPIDs()).intersection(workers).isEmpty)
            }
        }

        @Test func aWorkerWhoseSupervisorDiedBeforeItStartedLeavesAtOnce() throws {
            try Binaries.requireBuilt()
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            // The test makes the control socketpair (as a supervisor does) and a shell that
            // exits at once starts the worker: its parent is not the pair's creator, as
            // when the supervisor dies between the spawn and the worker's first step.
            var pair: [Int32] = [-1, -1]
            try check(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0, "socketpair")
            defer { close(pair[0]) }
            let instance = try InstanceSpec(name: "default", net: .object([]), netPath: "net")
            let configure = WorkerMessage.configure(WorkerSpec(instance: instance, netnsPath: "")).encoded
            try check(send(pair[0], configure, configure.count, 0) == configure.count, "send")
            let log = directory.file("worker.log"), pidFile = directory.file("worker.pid")
            let script = #""$0" --control-fd 3 >"$1" 2>&1 & echo $! >"$2""#
            try spawnAndWait(["/bin/sh", "-c", script, Binaries.worker, log, pidFile], descriptor3: pair[1])
            close(pair[1])
            let started = directory.read("worker.pid") ?? ""
            let worker = try #require(pid_t(started.trimmingCharacters(in: .whitespacesAndNewlines)), "\(started)")
            defer { if ProcessTable.isAlive(worker) { kill(worker, SIGKILL) } }
            let gone = eventually(within: .seconds(3)) { ProcessTable.isAlive(worker) ? nil : true }
            #expect(gone == true, "the worker runs on without its supervisor")
            #expect(directory.read("worker.log")?.contains("the supervisor that started this worker is gone") == true,
                    "\(directory.read("worker.log") ?? "")")
        }

        @Test func connectionExhaustionLeavesRootInControl() throws {
            let member = try Member()
            defer { member.delete() }
            try Scenario.with(namespaces: 1, group: member.group.name) { s in
                var latencies = Latencies()
                let net = try s.netFile("net.json", NetFiles.disabled)
                try #require(try s.ctl("add", "--instance", "default", "--net", net, "--netns", s.namespaces[0]).status == 0)

                // 300 follow connections, held: the member gets its share, the rest are refused.
                let follows = try HostileClient(.hold(count: 300, line: #"{"op": "follow"}"#), socket: s.socketPath,
                                                prefix: member.prefix)
                defer { follows.finish() }
                let responses = follows.lines.map { try? ControlResponse.parse($0) }
                let following = responses.filter { $0?.result?["following"] != nil }.count
                let refused = responses.filter { $0?.errorCode == .busy }
                #expect(following == 32, "\(follows.lines.prefix(3))")
                #expect(refused.count == 268, "\(follows.lines.suffix(3))")
                #expect(refused.first??.errorMessage == "uid \(member.user.uid) already holds 32 connections (the limit per user); try again later")
                try latencies.probe(s, count: 20)

                // Plain connections of the same member, idle or asking: refused too.
                let more = try HostileClient(.hold(count: 50, line: #"{"op": "list"}"#), socket: s.socketPath, prefix: member.prefix)
                defer { more.finish() }
                #expect(more.lines.allSatisfy { (try? ControlResponse.parse($0))?.errorCode == .busy }, "\(more.lines.prefix(3))")
                let refusedCtl = try member.jooldctl(["list"], s)
                #expect(refusedCtl.status == 1 && refusedCtl.stderr.hasSuffix("(busy)\n"), "\(refusedCtl)")

                // Root is not limited per user: it opens (and holds) 200 more, each answered.
                var rootClients: [RawControlClient] = []
                for _ in 0..<200 {
                    let client = try RawControlClient(socketPath: s.socketPath)
                    #expect(try client.request(#"{"op": "list"}"#).result != nil)
                    rootClients.append(client)
                }
                try latencies.probe(s, count: 20)
                let root = try s.ctl("list")
                #expect(root.status == 0, "\(root)")

                // Once the member lets go, it may connect again.
                follows.finish()
                more.finish()
                rootClients.removeAll()
                let again = try eventually(within: .seconds(3)) { () -> CommandResult? in
                    let result = try member.jooldctl(["list"], s)
                    return result.status == 0 ? result : nil
                }
                #expect(again != nil)
                latencies.check("connection exhaustion")
            }
        }

        @Test func oversizedAndSlowRequestsLeaveRootInControl() throws {
            let member = try Member()
            defer { member.delete() }
            try Scenario.with(namespaces: 1, group: member.group.name) { s in
                var latencies = Latencies()
                let net = try s.netFile("net.json", NetFiles.disabled)
                try #require(try s.ctl("add", "--instance", "default", "--net", net, "--netns", s.namespaces[0]).status == 0)

                // An endless line as fast as the supervisor reads, requests that never end
                // (a byte at a time), and lines twice the limit.
                let flood = try HostileClient(.flood, socket: s.socketPath, prefix: member.prefix)
                defer { flood.finish() }
                let trickle = try HostileClient(.trickle(count: 20), socket: s.socketPath, prefix: member.prefix)
                defer { trickle.finish() }
                let big = try HostileClient(.hold(count: 5, line: "@big:2100000"), socket: s.socketPath, prefix: member.prefix)
                defer { big.finish() }
                #expect(big.lines.allSatisfy { (try? ControlResponse.parse($0))?.errorCode == .lineTooLong }, "\(big.lines)")

                for _ in 0..<10 {
                    try latencies.probe(s, count: 5)
                    usleep(50_000)
                }
                let root = try s.ctl("list", "--json")
                #expect(root.status == 0 && (try? instances(in: root.json()).count) == 1, "\(root)")
                #expect(try s.status("default", netns: s.namespaces[0]).state == "running")
                latencies.check("oversized and slow requests")
            }
        }
    }
}

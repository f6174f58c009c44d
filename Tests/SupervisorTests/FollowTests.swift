import Configuration
import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// `jooldctl follow` end to end: real supervisors, workers and jooldctl processes,
    /// node K and node J joined by a veth pair, each with a simulated Jool 4.1.9.
    @Suite struct Follow {
        /// The text line of the first session of `sessionPayload`, after the time.
        static let firstUDP = "out UDP 2001:db8::8#40000 64:ff9b::c000:208#5000 192.0.2.1#61001 192.0.2.8#5000 - 0:04:59"

        @Test func kernelSessionsGoOutPeerSessionsComeInAndEveryFollowerSeesThem() throws {
            try withTwoNodes(version: .v4_1_9) { k, j in
                let text = try FollowProcess(["follow", "default", "--netns", k.netns], socket: k.supervisor.socketPath)
                let json = try FollowProcess(["follow", "--json"], socket: k.supervisor.socketPath)
                let peer = try FollowProcess(["follow", "default", "--netns", j.netns, "--json"], socket: j.supervisor.socketPath)
                #expect(text.waitForErrors { $0.contains("jooldctl: following 'default' in namespace \(k.netns) (Ctrl-C to stop)") },
                        "\(text.description)")
                #expect(json.waitForOutput { $0.first?.contains(#"{"following":[{"instance":"default","netns":"\#(k.netns)"}]}"#) == true },
                        "\(json.description)")
                #expect(peer.waitForOutput { !$0.isEmpty }, "\(peer.description)")

                // K's kernel multicasts two sessions: out at K (both followers), in at J.
                k.kernel.multicast(payload: sessionPayload(2), instance: "default")
                #expect(text.waitForOutput { $0.count == 2 }, "\(text.description)")
                let line = try #require(text.stdout.first)
                #expect(line.hasSuffix(Self.firstUDP), "\(line)")
                #expect(line.contains(" \(k.netns)/default \(Self.firstUDP)"), "\(line)")
                #expect(line.range(of: #"^\d\d:\d\d:\d\d\.\d\d\d "#, options: .regularExpression) != nil, "\(line)")

                #expect(json.waitForOutput { $0.count == 3 }, "\(json.description)")
                let event = try JSONValue.parse(json.stdout[1], path: "event")
                #expect(event["event"] == .string("session") && event["direction"] == .string("out")
                        && event["origin"] == .string("kernel") && event["instance"] == .string("default")
                        && event["netns"] == .string(k.netns), "\(event.serialized())")
                #expect(event["session"]?.serialized()
                        == #"{"proto":"UDP","state":null,"timer":"established","src6":"2001:db8::8#40000","dst6":"64:ff9b::c000:208#5000","src4":"192.0.2.1#61001","dst4":"192.0.2.8#5000","expiration_ms":299000}"#)

                #expect(peer.waitForOutput { $0.count == 3 }, "J's follower: \(peer.description)")
                let incoming = try JSONValue.parse(peer.stdout[1], path: "event")
                #expect(incoming["direction"] == .string("in") && incoming["origin"] == .string("peer")
                        && incoming["netns"] == .string(j.netns), "\(incoming.serialized())")
                #expect(incoming["session"] == event["session"])

                // The worker's own advertisement (4.1.9) shows as out, origin advertise.
                k.kernel.setSessions(advertiseTable(3))
                let advertised = try k.ctl("advertise", "default", "--netns", k.netns)
                #expect(advertised.status == 0, "\(advertised)")
                #expect(json.waitForOutput { $0.count == 6 }, "\(json.description)")
                #expect(json.stdout.suffix(3).allSatisfy { $0.contains(#""origin":"advertise""#) }, "\(json.stdout)")
                #expect(text.waitForOutput { $0.count == 5 } && text.stdout.last?.hasSuffix(" (advertise)") == true, "\(text.description)")

                // Ctrl-C ends a follower quietly; removing the instance ends the others.
                #expect(text.finish(signal: SIGINT).map { $0.status == 0 && !$0.signalled } == true, "\(text.description)")
                let removed = try k.ctl("remove", "default", "--netns", k.netns)
                #expect(removed.status == 0)
                let stillThere = try k.ctl("list")
                #expect(stillThere.status == 0, "a follower (of every instance) does not stop the server: \(stillThere)")
                #expect(json.process.isRunning, "a follower of every instance stays")
                #expect(json.finish(signal: SIGTERM).map { $0.status == 0 } == true, "\(json.description)")
                #expect(try j.ctl("remove", "default", "--netns", j.netns).status == 0)
                #expect(peer.finish().map { $0.status == 0 } == true, "\(peer.description)")
                #expect(peer.stdout.last == #"{"event":"end","instance":"default","netns":"\#(j.netns)","reason":"removed"}"#,
                        "\(peer.description)")
            }
        }

        /// A follower that does not read loses lines, not the relay: K's kernel keeps
        /// getting its ACKs and J's its ADDs at full pace, another follower misses
        /// nothing, and the slow one is told how many it lost once it reads again.
        @Test func aSlowFollowerLosesLinesIsToldAndNeverSlowsTheRelay() throws {
            try withTwoNodes(version: .v4_1_9) { k, j in
                let packets = 600, perPacket = 10
                let payload = sessionPayload(perPacket)
                // 5000 sessions per second: J's worker (a debug build, on a busy machine)
                // keeps up with that over the veth; a burst of 600 datagrams at once
                // overflows its socket, followed or not.
                func relay(round: Int) -> Duration {
                    let start = ContinuousClock.now
                    for _ in 0..<packets {
                        k.kernel.multicast(payload: payload, instance: "default")
                        usleep(2000)
                    }
                    #expect(k.kernel.wait(timeout: .seconds(30)) { $0.acks == round * packets }, "K's kernel got \(k.kernel.record.acks) ACKs")
                    #expect(j.kernel.wait(timeout: .seconds(30)) { $0.adds.count == round * packets }, "J's kernel got \(j.kernel.record.adds.count) ADDs")
                    return ContinuousClock.now - start
                }
                let unfollowed = relay(round: 1)

                let slow = try RawControlClient(socketPath: k.supervisor.socketPath)
                let opened = try slow.request(#"{"op": "follow", "instance": "default", "netns": "\#(k.netns)"}"#)
                #expect(opened.result != nil, "\(opened)")
                let fast = try FollowProcess(["follow", "--json"], socket: k.supervisor.socketPath)
                #expect(fast.waitForOutput { !$0.isEmpty })
                let relayed = relay(round: 2)
                let total = packets * perPacket

                // The fast follower: every session, or a count of what its worker dropped.
                #expect(fast.waitForOutput(within: .seconds(30)) { accounted($0) >= total }, "fast follower: \(accounted(fast.stdout)) of \(total)")
                let fastSessions = fast.stdout.filter { $0.contains(#""event":"session""#) }.count

                // The slow one reads now: what it got plus what it was told it lost.
                var sessions = 0, lost = 0, reports: [String] = []
                while sessions + lost < total, let line = try slow.readLine(timeout: .seconds(10)) {
                    if line.contains(#""event":"session""#) { sessions += 1 }
                    if line.contains(#""event":"lost""#) {
                        reports.append(line)
                        lost += Int(try JSONValue.parse(line, path: "lost")["count"]?.integerValue ?? 0)
                    }
                }
                print("[SupervisorTests] follow: \(total) sessions relayed in \(relayed) (\(unfollowed) unfollowed); fast follower \(fastSessions) lines; slow follower \(sessions) lines + \(lost) lost (\(reports.count) report(s): \(reports.first ?? "-"))")
                #expect(sessions + lost == total, "every session shown or counted: \(sessions) + \(lost)")
                #expect(lost > 0 && sessions > 0)
                #expect(reports.contains { $0.contains(#""reason":"follower-behind""#) }, "\(reports)")
                #expect(fastSessions > sessions)

                // The worker counts what it fed (and dropped: the supervisor kept up here or not).
                let stats = try k.ctl("stats", "default", "--netns", k.netns, "--json").json()
                let extra = stats["instances"]?.arrayValue?.first?["extra"]
                let fed = (extra?["follow-sessions-sent"]?.integerValue ?? -1) + (extra?["follow-sessions-dropped"]?.integerValue ?? -1)
                #expect(fed == Int64(total), "\(stats.serialized())")

                // And the slow one is back in the stream.
                k.kernel.multicast(payload: sessionPayload(1), instance: "default")
                let next = try #require(try slow.readLine(timeout: .seconds(5)))
                #expect(next.contains(#""event":"session""#), "\(next)")
                _ = fast.finish(signal: SIGINT)
            }
        }

        /// `jooldctl follow | head -1`: once head is gone, the next write fails and
        /// jooldctl ends with status 0 (not killed by SIGPIPE).
        @Test func aClosedOutputEndsTheFollowerCleanly() throws {
            try withTwoNodes(version: .v4_1_9) { k, _ in
                let script = "set -o pipefail; '\(Binaries.jooldctl)' follow default --netns \(k.netns) --socket \(k.supervisor.socketPath) | head -1"
                let done = Locked<CommandResult?>(nil)
                Thread {
                    let result = try? runCommand(["/bin/bash", "-c", script], timeout: .seconds(20))
                    done.mutate { $0 = result }
                }.start()
                let deadline = ContinuousClock.now + .seconds(20)
                while done.get() == nil, ContinuousClock.now < deadline {
                    k.kernel.multicast(payload: sessionPayload(1), instance: "default")
                    usleep(50_000)
                }
                let result = try #require(done.get())
                #expect(result.status == 0 && !result.signalled, "\(result)")
                #expect(result.stdout.hasSuffix(Self.firstUDP + "\n") && result.stdout.filter { $0 == "\n" }.count == 1, "\(result)")
            }
        }

        /// A restarted worker is told again to feed; a stopping supervisor ends every feed.
        @Test func theFeedSurvivesAWorkerRestartAndEndsWithTheSupervisor() throws {
            try withTwoNodes(version: .v4_1_9) { k, _ in
                let follower = try FollowProcess(["follow", "--json"], socket: k.supervisor.socketPath)
                #expect(follower.waitForOutput { !$0.isEmpty }, "\(follower.description)")
                let old = try #require(k.supervisor.workerPIDs().first)
                kill(old, SIGKILL)
                let restarted = try eventually(within: .seconds(10)) { () -> Bool? in
                    let status = try onlyInstance(try k.ctl("status", "default", "--netns", k.netns, "--json"))
                    return isRunning(status) && status.pid != old ? true : nil
                }
                #expect(restarted == true)
                k.kernel.multicast(payload: sessionPayload(1), instance: "default")
                #expect(follower.waitForOutput { $0.count == 2 }, "\(follower.description)\n\(k.supervisor.log)")
                #expect(follower.stdout.last?.contains(#""origin":"kernel""#) == true)

                k.supervisor.signal(SIGTERM)
                #expect(follower.finish().map { $0.status == 0 } == true, "\(follower.description)")
                #expect(follower.stdout.last == #"{"event":"end","instance":null,"netns":null,"reason":"supervisor-stopping"}"#,
                        "\(follower.description)")
            }
        }

        @Test func badFollowRequestsGetClearErrors() throws {
            try withTwoNodes(version: .v4_1_9) { k, _ in
                let unknown = try k.ctl("follow", "potato", "--netns", k.netns)
                #expect(unknown.status == 1 && unknown.stderr == "jooldctl: no instance 'potato' in \(namespaceLabel(k.netns)) (no-such-instance)\n",
                        "\(unknown)")
                let json = try k.ctl("follow", "potato", "--json")
                #expect(json.status == 1 && json.stdout.contains(#""code":"no-such-instance""#), "\(json)")
                let usage = try k.ctl("follow", "--netns", k.netns)
                #expect(usage.status == 2 && usage.stderr.contains("--netns selects the namespace of an instance"), "\(usage)")

                // A refused follow leaves a normal connection.
                let client = try RawControlClient(socketPath: k.supervisor.socketPath)
                #expect(try client.request(#"{"op": "follow", "instance": 5}"#).errorCode == .wrongType)
                #expect(try client.request(#"{"op": "follow", "netns": "x"}"#).errorCode == .missingField)
                #expect(try client.request(#"{"op": "list"}"#).result != nil)
            }
        }
    }
}

/// Sessions shown plus sessions reported lost, in `follow --json` lines.
private func accounted(_ lines: [String]) -> Int {
    lines.reduce(0) { sum, line in
        if line.contains(#""event":"session""#) { return sum + 1 }
        if line.contains(#""event":"lost""#), let count = try? JSONValue.parse(line, path: "lost")["count"]?.integerValue {
            return sum + Int(count)
        }
        return sum
    }
}

/// How the supervisor names a namespace in messages.
private func namespaceLabel(_ netns: String) -> String { "namespace '\(netns)'" }

import Foundation
import Glibc
import JoolSimulator
import JoolWire
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// `jooldctl advertise` end to end: node K (namespace a) and node J (namespace b),
    /// each a real supervisor whose worker talks to its own simulated kernel, joined by
    /// a veth pair. On a 4.1.9 kernel (advertise is a no-op there) K's worker reads its
    /// kernel's table and sends it itself; on 4.1.15 the kernel's advertise is used.
    @Suite struct Advertise {
        @Test func onJool419TheWorkerSendsTheTableItself() throws {
            try withTwoNodes(version: .v4_1_9) { k, j in
                let table = advertiseTable(25)
                k.kernel.setSessions(table)
                let expected = k.kernel.sessions()
                #expect(expected.count == 25)

                let result = try k.ctl("advertise", "default", "--netns", k.netns)
                #expect(result.status == 0 && result.stderr == "", "\(result)")
                #expect(result.stdout.hasPrefix("advertised 'default' in namespace \(k.netns): method worker, sessions 25, seconds "),
                        "\(result.stdout)")
                #expect(k.kernel.record.advertisements == 0, "the 4.1.9 kernel's advertise does nothing: not asked")

                // J's kernel gets the table as JOOLD_ADDs: 10 + 10 + 5 F1 records.
                #expect(j.kernel.wait { $0.adds.count == 3 }, "J's kernel got \(j.kernel.record.adds.count) ADDs")
                let adds = j.kernel.record.adds
                #expect(adds.map { $0.payload.count } == [1400, 1400, 700])
                #expect(adds.allSatisfy { $0.instance == "default" })
                let received = try SessionCodec.decode(adds.flatMap(\.payload), format: .f1)
                #expect(withoutLifetime(received) == withoutLifetime(expected))
                for (sent, original) in zip(received, expected) {
                    #expect(sent.expirationMilliseconds <= original.expirationMilliseconds)
                    #expect(sent.expirationMilliseconds + 10_000 >= original.expirationMilliseconds)
                }

                // --json: the numbers; stats: the counters.
                let json = try k.ctl("advertise", "default", "--netns", k.netns, "--json").json()
                #expect(json["method"] == .string("worker") && json["sessions"] == .integer(25), "\(json.serialized())")
                #expect((json["seconds"]?.doubleValue ?? -1) >= 0)
                #expect(j.kernel.wait { $0.adds.count == 6 })
                let stats = try k.ctl("stats", "default", "--netns", k.netns, "--json").json()
                let extra = stats["instances"]?.arrayValue?.first?["extra"]
                #expect(extra?["advertisements-worker"] == .integer(2), "\(stats.serialized())")
                #expect(extra?["advertised-sessions"] == .integer(50))
                #expect(extra?["advertised-datagrams"] == .integer(6))
                #expect(extra?["advertisements-kernel"] == .integer(0))
                let counters = stats["instances"]?.arrayValue?.first?["counters"]
                #expect(counters?["NET_SENT_PKTS"] == .integer(6) && counters?["NET_SENT_BYTES"] == .integer(7000))
            }
        }

        @Test func aLargeTableIsPacedAndASecondAdvertiseIsBusy() throws {
            try withTwoNodes(version: .v4_1_9) { k, j in
                k.kernel.setSessions(advertiseTable(4000))
                let expected = k.kernel.sessions()
                let started = try k.ctl("advertise", "default", "--netns", k.netns, "--no-wait")
                #expect(started.status == 0 && started.stdout.contains("started advertising"), "\(started)")
                let second = try k.ctl("advertise", "default", "--netns", k.netns)
                #expect(second.status == 1 && second.stderr.contains("busy"), "\(second)")

                // 400 datagrams at the default 2000 sessions/s: about 2 s.
                var times: [ContinuousClock.Instant] = []
                var seen = 0
                let deadline = ContinuousClock.now + .seconds(20)
                while seen < 400, ContinuousClock.now < deadline {
                    let count = j.kernel.record.adds.count
                    if count > seen {
                        times += Array(repeating: ContinuousClock.now, count: count - seen)
                        seen = count
                    }
                    usleep(1000)
                }
                #expect(seen == 400, "J's kernel got \(seen) ADDs")
                let span = times.last! - times.first!
                print("[SupervisorTests] 4000 sessions advertised at the default rate: first to last ADD at J in \(span)")
                #expect(span >= .milliseconds(1500), "\(span): the default rate is 2000 sessions/s")
                let received = try SessionCodec.decode(j.kernel.record.adds.flatMap(\.payload), format: .f1)
                #expect(withoutLifetime(received) == withoutLifetime(expected))
                #expect(k.kernel.record.sessionForeaches.count == 3 + 4000 / 26)

                // Over: the next one is accepted again.
                let again = try #require(try eventually(within: .seconds(5)) { () -> CommandResult? in
                    let result = try k.ctl("advertise", "default", "--netns", k.netns, "--no-wait")
                    return result.status == 0 ? result : nil
                })
                #expect(again.stdout.contains("started advertising"))
            }
        }

        /// The instance's rate (add --advertise-rate) reaches the worker, a request's
        /// (advertise --rate) overrides it once; both are checked by the time 100 sessions
        /// take (the first datagram of 10 goes at once, the other 90 at the rate).
        @Test func theRateIsAnInstanceSettingThatARequestOverrides() throws {
            try withTwoNodes(version: .v4_1_9, addOptions: ["--advertise-rate", "200"]) { k, j in
                k.kernel.setSessions(advertiseTable(100))
                let slow = try k.ctl("advertise", "default", "--netns", k.netns, "--json")
                #expect(slow.status == 0, "\(slow)")
                let paced = try slow.json()
                #expect(paced["rate"] == .integer(200) && paced["sessions"] == .integer(100), "\(paced.serialized())")
                let slowSeconds = paced["seconds"]?.doubleValue ?? 0
                #expect(slowSeconds >= 0.4 && slowSeconds < 2, "90 sessions at 200/s take 0.45 s, not \(slowSeconds)")

                let fast = try k.ctl("advertise", "default", "--netns", k.netns, "--rate", "5000")
                #expect(fast.status == 0 && fast.stdout.contains("sessions 100") && fast.stdout.hasSuffix(", rate 5000/s\n"), "\(fast)")
                let fastSeconds = try #require(fast.stdout.split(separator: " ").firstIndex(of: "seconds").map {
                    Double(fast.stdout.split(separator: " ")[$0 + 1].dropLast()) ?? -1 })
                #expect(fastSeconds >= 0 && fastSeconds < 0.3, "90 sessions at 5000/s take 0.018 s, not \(fastSeconds)")
                #expect(j.kernel.wait { $0.adds.count == 20 }, "J's kernel got \(j.kernel.record.adds.count) ADDs")

                // The setting is kept in the state file and shown by list and status.
                let state = try #require(k.supervisor.directory.read("state-k.json"))
                #expect(state.contains(#""advertise_rate": 200"#), "\(state)")
                let status = try onlyInstance(try k.ctl("status", "default", "--netns", k.netns, "--json"))
                #expect(status["advertise_rate"] == .integer(200), "\(status.serialized())")
                let table = try k.ctl("list").stdout
                #expect(table.contains("ADV-RATE") && table.contains("  200  "), "\(table)")

                // The supervisor checks what a client other than jooldctl sends.
                let socket = k.supervisor.socketPath
                let zero = try RawControlClient.request(#"{"op": "advertise", "instance": "default", "netns": "\#(k.netns)", "rate": 0}"#, socketPath: socket)
                #expect(zero.errorCode == .invalidValue && zero.errorMessage?.contains("field 'rate' must be a number of sessions per second from 1 to 100000") == true, "\(zero)")
                let text = try RawControlClient.request(#"{"op": "advertise", "instance": "default", "netns": "\#(k.netns)", "rate": "fast"}"#, socketPath: socket)
                #expect(text.errorCode == .wrongType, "\(text)")
                let add = try RawControlClient.request(#"{"op": "add", "instance": "other", "net": {}, "advertise_rate": 1000000}"#, socketPath: socket)
                #expect(add.errorCode == .invalidValue, "\(add)")
            }
        }

        @Test func onJool4115TheKernelAdvertises() throws {
            try withTwoNodes(version: .v4_1_15) { k, j in
                k.kernel.setSessions(advertiseTable(25))
                let result = try k.ctl("advertise", "default", "--netns", k.netns, "--json")
                #expect(result.status == 0, "\(result)")
                let json = try result.json()
                #expect(json["method"] == .string("kernel") && json["sessions"] == .null, "\(json.serialized())")
                #expect(k.kernel.record.advertisements == 1)
                #expect(k.kernel.record.sessionForeaches.isEmpty, "the table is not read when the kernel advertises")
                let plain = try k.ctl("advertise", "default", "--netns", k.netns)
                #expect(plain.stdout.contains("method kernel, sessions -"), "\(plain)")
                #expect(k.kernel.record.advertisements == 2)
                let stats = try k.ctl("stats", "default", "--netns", k.netns, "--json").json()
                #expect(stats["instances"]?.arrayValue?.first?["extra"]?["advertisements-kernel"] == .integer(2))
                #expect(j.kernel.record.adds.isEmpty)
            }
        }
    }
}

/// `count` sessions of the three protocols with distinct IPv4 pairs, 20 minutes to live.
func advertiseTable(_ count: Int) -> [Session] {
    (0..<count).map { index in
        let proto = Session.TransportProtocol.allCases[index % 3]
        let port = UInt16(1024 + index)
        return Session(proto: proto, state: .established, timer: .established,
                       src6: .init(address: IPv6Address(bytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 10)
                                                        + [UInt8(index >> 8), UInt8(index & 0xff)])!, port: port),
                       src4: .init(address: IPv4Address(bytes: [192, 0, 2, UInt8(1 + index % 5)])!, port: port),
                       dst4: .init(address: IPv4Address(bytes: [203, 0, 113, UInt8(index % 11)])!,
                                   port: proto == .icmp ? port : 443),
                       expirationMilliseconds: 1_200_000 - UInt32(index))
    }
}

/// Lifetimes age while an advertisement runs: compare the rest.
func withoutLifetime(_ sessions: [Session]) -> [Session] {
    sessions.map { session in
        var copy = session
        copy.expirationMilliseconds = 0
        return copy
    }
}

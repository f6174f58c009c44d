import Foundation
import Glibc
import JoolSimulator
import JoolWire
import Testing

/// Two real joold processes in two namespaces, each with a simulated Jool kernel:
/// a kernel packet on one side must arrive byte for byte as a JOOLD_ADD on the other.
@Suite(.serialized)
struct RelayTests {
    @Test(arguments: SyncPair.Family.allCases, [JoolVersion.v4_1_9, .v4_1_15])
    func kernelPacketArrivesByteExactAsAddOnThePeer(family: SyncPair.Family, version: JoolVersion) throws {
        try SyncPair.with(family, version: version) { pair in
            let format = version.sessionFormat
            let payload = Fixtures.payload(3, format: format)
            pair.kernelA.multicast(payload: payload)
            #expect(pair.kernelB.wait { $0.adds.count == 1 }, "B's kernel got no ADD:\n\(pair.jooldb.log)")
            let add = try #require(pair.kernelB.record.adds.first)
            #expect(add.payload == payload)
            #expect(add.instance == "default")
            // nlmsghdr flags REQUEST only; genl cmd 27; Jool header magic, version, NAT64.
            #expect(Array(add.message[6..<8]) == [0x01, 0x00])
            #expect(add.message[16] == 27)
            #expect(Array(add.message[20..<24]) == Array("jool".utf8))
            #expect(Array(add.message[24..<28]) == version.bigEndianBytes)
            #expect(add.message[28] == 2)
            let containerLength = UInt16(payload.count + 4)
            #expect(Array(add.message[48..<52]) == [UInt8(containerLength & 0xff), UInt8(containerLength >> 8), 0x07, 0x80])
            // A ACKed the kernel packet it relayed.
            #expect(pair.kernelA.wait { $0.acks == 1 })

            // And the other way round.
            let reverse = Fixtures.payload(1, format: format, first: 10)
            pair.kernelB.multicast(payload: reverse)
            #expect(pair.kernelA.wait { $0.adds.count == 1 })
            #expect(pair.kernelA.record.adds.first?.payload == reverse)
            #expect(pair.kernelB.wait { $0.acks == 1 })
        }
    }

    @Test(arguments: SyncPair.Family.allCases)
    func statsServerCountsWhatWasRelayed(family: SyncPair.Family) throws {
        try SyncPair.with(family) { pair in
            let two = Fixtures.payload(2), one = Fixtures.payload(1, first: 5)
            pair.kernelA.multicast(payload: two)
            #expect(pair.kernelB.wait { $0.adds.count == 1 })
            pair.kernelB.multicast(payload: one)
            #expect(pair.kernelA.wait { $0.adds.count == 1 })
            #expect(pair.kernelA.wait { $0.acks == 1 } && pair.kernelB.wait { $0.acks == 1 })

            let expectedA = """
                KERNEL_SENT_PKTS,1
                KERNEL_SENT_BYTES,\(one.count)
                NET_RCVD_PKTS,1
                NET_RCVD_BYTES,\(one.count)
                NET_SENT_PKTS,1
                NET_SENT_BYTES,\(two.count)

                """
            #expect(try LabSocket.askStats(namespace: pair.lab.namespaceA, port: SyncPair.statsPortA) == expectedA)
            // Bound on "::", the server answers over IPv6 too, and an empty query is a query.
            #expect(try LabSocket.askStats(namespace: pair.lab.namespaceA, port: SyncPair.statsPortA, ipv6: true, query: []) == expectedA)
            let answerB = try LabSocket.askStats(namespace: pair.lab.namespaceB, port: SyncPair.statsPortB)
            #expect(answerB.split(separator: "\n") == ["KERNEL_SENT_PKTS,1", "KERNEL_SENT_BYTES,\(two.count)",
                                                       "NET_RCVD_PKTS,1", "NET_RCVD_BYTES,\(two.count)",
                                                       "NET_SENT_PKTS,1", "NET_SENT_BYTES,\(one.count)"])
        }
    }

    @Test(arguments: SyncPair.Family.allCases)
    func hostileDatagramsAreRejectedCountedAndNeverReachTheKernel(family: SyncPair.Family) throws {
        try SyncPair.with(family) { pair in
            var random = SystemRandomNumberGenerator()
            let valid = Fixtures.payload(2)
            let hostile: [[UInt8]] = [
                Fixtures.payload(3, format: .f3),                       // a 4.1.15 peer's F3 records
                (0..<300).map { _ in UInt8.random(in: 0...255, using: &random) },
                Array(valid.prefix(139)),                               // a truncated record
                [UInt8](repeating: 0xab, count: 3000),                  // larger than 2048 bytes
                [],                                                     // empty
            ]
            try pair.sendFromA(hostile + [valid])
            #expect(pair.kernelB.wait { $0.adds.count == 1 }, "the valid datagram after the hostile ones did not arrive:\n\(pair.jooldb.log)")
            let record = pair.kernelB.record
            #expect(record.adds.map(\.payload) == [valid])
            #expect(record.violations.isEmpty)

            let (status, log) = pair.jooldb.stop()
            #expect(status == 0)
            let counters = JooldProcess.counters(inLog: log)
            #expect(counters["NET_RCVD_PKTS"] == 6)
            #expect(counters["KERNEL_SENT_PKTS"] == 1)
            #expect(counters["rejected-wrong-format"] == 1)
            #expect(counters["truncated-datagrams"] == 1)
            #expect(counters["rejected-empty"] == 1)
            let rejected = counters.filter { $0.key.hasPrefix("rejected-") }.values.reduce(0, +)
            #expect(rejected == 4, "\(counters)")
            // Rejections are logged with their sender.
            #expect(log.contains(family == .ipv6 ? "from [2001:db8:ff08::1]" : "from 192.0.2.1"), "\(log)")
        }
    }

    /// Real peers read 2048 bytes: a larger kernel packet (4.1.15 with a high
    /// ss-max-sessions-per-packet) leaves as several datagrams cut between records.
    @Test(arguments: SyncPair.Family.allCases)
    func kernelPacketLargerThan2048BytesIsSplitBetweenRecords(family: SyncPair.Family) throws {
        try SyncPair.with(family, version: .v4_1_15) { pair in
            let payload = Fixtures.payload(60, format: .f3)
            #expect(payload.count == 2400)
            pair.kernelA.multicast(payload: payload)
            #expect(pair.kernelB.wait { $0.adds.count == 2 }, "\(pair.jooldb.log)")
            let parts = pair.kernelB.record.adds.map(\.payload)
            #expect(parts.map(\.count) == [2040, 360])
            #expect(parts.flatMap { $0 } == payload)
            #expect(pair.kernelA.wait { $0.acks == 1 })
        }
    }

    /// docs/jool-kernel-protocol.md §11.6: a 4.1.15 kernel fed F1 records installs bogus sessions.
    @Test func datagramsOfAnotherJoolEraNeverReachTheKernel() throws {
        try SyncPair.with(.ipv6, version: .v4_1_15) { pair in
            let modern = Fixtures.payload(2, format: .f3)
            try pair.sendFromA([Fixtures.payload(2, format: .f1), modern])
            #expect(pair.kernelB.wait { $0.adds.count == 1 })
            #expect(pair.kernelB.record.adds.map(\.payload) == [modern])
            let counters = JooldProcess.counters(inLog: pair.jooldb.stop().log)
            #expect(counters["rejected-wrong-format"] == 1, "\(counters)")
        }
    }
}

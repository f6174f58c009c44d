#if canImport(Glibc)
import Glibc
#endif
import Configuration
@testable import LinuxRuntime
import NetworkTestSupport
@testable import Relay
import Testing

/// Two MulticastSockets in two namespaces joined by a veth pair, as two joold
/// peers on two hosts would be.
@Suite struct MulticastSocketTests {
    static let ipv6Group: [UInt8] = [0xff, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0xb8, 0, 0x64, 0, 0x64]
    static let ipv4Group: [UInt8] = [233, 252, 0, 64]
    static let port: UInt16 = 6464

    static func ipv6Settings(index: UInt32, name: String, reuse: Bool = true) -> NetSocketSettings {
        NetSocketSettings(family: .ipv6, groupAddress: ipv6Group, port: port,
                          inInterface: .index(index, name: name), outInterface: .index(index, name: name),
                          ttl: 1, reuseAddress: reuse, display: "[ff08::db8:64:64]:6464")
    }

    static func ipv4Settings(address: [UInt8]) -> NetSocketSettings {
        NetSocketSettings(family: .ipv4, groupAddress: ipv4Group, port: port,
                          inInterface: .ipv4Address(address), outInterface: .ipv4Address(address),
                          ttl: 1, display: "233.252.0.64:6464")
    }

    /// Opens one socket per side, each inside its own namespace.
    static func pair(_ lab: NetworkLab, ipv6: Bool) throws -> (a: MulticastSocket, b: MulticastSocket) {
        let a = try lab.inA {
            try MulticastSocket(settings: ipv6 ? ipv6Settings(index: lab.indexA, name: lab.interfaceA)
                                               : ipv4Settings(address: NetworkLab.ipv4A))
        }
        let b = try lab.inB {
            try MulticastSocket(settings: ipv6 ? ipv6Settings(index: lab.indexB, name: lab.interfaceB)
                                               : ipv4Settings(address: NetworkLab.ipv4B))
        }
        return (a, b)
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
    }

    @Test(arguments: [true, false])
    func peersExchangeDatagramsBothWays(ipv6: Bool) throws {
        try NetworkLab.with { lab in
            let (a, b) = try Self.pair(lab, ipv6: ipv6)
            let small = Self.pattern(300, seed: 1)
            let largest = Self.pattern(MulticastSocket.maxPayload, seed: 2)
            try a.send(small)
            try a.send(largest)
            let atB = try collect(b, count: 2)
            let senderA = ipv6 ? "[\(NetworkLab.ipv6A)]:6464" : "192.0.2.1:6464"
            #expect(atB == [CopiedDatagram(bytes: small, wireLength: 300, truncated: false, sender: senderA),
                            CopiedDatagram(bytes: largest, wireLength: 2048, truncated: false, sender: senderA)])

            let reply = Self.pattern(52, seed: 3)
            try b.send(reply)
            let atA = try collect(a, count: 1)
            let senderB = ipv6 ? "[\(NetworkLab.ipv6B)]:6464" : "192.0.2.2:6464"
            #expect(atA == [CopiedDatagram(bytes: reply, wireLength: 52, truncated: false, sender: senderB)])
        }
    }

    @Test(arguments: [true, false])
    func multicastLoopbackIsOff(ipv6: Bool) throws {
        try NetworkLab.with { lab in
            let (a, b) = try Self.pair(lab, ipv6: ipv6)
            // A second member of the group in A's own namespace would hear A too if loopback were on.
            let neighbour = try lab.inA {
                try MulticastSocket(settings: ipv6 ? Self.ipv6Settings(index: lab.indexA, name: lab.interfaceA)
                                                   : Self.ipv4Settings(address: NetworkLab.ipv4A))
            }
            try a.send([1, 2, 3])
            // The datagram did leave: the peer got it...
            #expect(try collect(b, count: 1).map(\.bytes) == [[1, 2, 3]])
            // ...but nobody on A's own stack did.
            #expect(try collect(a, count: 1, milliseconds: 300).isEmpty)
            #expect(try collect(neighbour, count: 1, milliseconds: 100).isEmpty)
        }
    }

    @Test func oversizedPayloadIsRefusedAndNothingIsSent() throws {
        try NetworkLab.with { lab in
            let (a, b) = try Self.pair(lab, ipv6: true)
            #expect(throws: MulticastSocketError.payloadTooLarge(size: 2049, limit: 2048)) {
                try a.send([UInt8](repeating: 0xAB, count: 2049))
            }
            #expect(try collect(b, count: 1, milliseconds: 300).isEmpty)
        }
    }

    @Test func datagramLargerThanTheBufferIsReportedTruncated() throws {
        try NetworkLab.with { lab in
            let (_, b) = try Self.pair(lab, ipv6: true)
            let big = Self.pattern(3000, seed: 9)
            let normal = Self.pattern(100, seed: 4)
            // A plain UDP socket in A, which knows nothing of the 2048-byte limit.
            try lab.inA {
                let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
                try check(fd >= 0, "socket")
                defer { close(fd) }
                var index = lab.indexA
                try check(setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &index, 4) == 0, "IPV6_MULTICAST_IF")
                let group = SocketAddress(ipv6: Self.ipv6Group, port: Self.port)
                for payload in [big, normal] {
                    let sent = group.withSockAddr { sendto(fd, payload, payload.count, 0, $0, $1) }
                    try check(sent == payload.count, "sendto", group.description)
                }
            }
            let received = try collect(b, count: 2)
            #expect(received.count == 2)
            guard received.count == 2 else { return }
            #expect(received[0].truncated)
            #expect(received[0].wireLength == 3000)
            #expect(received[0].bytes == Array(big.prefix(2048)))
            #expect(received[1] == CopiedDatagram(bytes: normal, wireLength: 100, truncated: false,
                                                  sender: received[1].sender))
        }
    }

    @Test func burstIsDrainedInFewSystemCalls() throws {
        try NetworkLab.with { lab in
            let (a, b) = try Self.pair(lab, ipv6: false)
            // As root SO_RCVBUFFORCE gets past rmem_max; Linux reports double the request.
            #expect(b.receiveBufferBytes >= 4 << 20)
            let count = 200
            for sequence in 0..<count {
                try a.send(withUnsafeBytes(of: UInt32(sequence).bigEndian) { Array($0) } + Self.pattern(200, seed: 5))
            }
            var sequences: [UInt32] = []
            var calls = 0
            let deadline = MonotonicClock.nanoseconds() + 3_000_000_000
            while sequences.count < count && MonotonicClock.nanoseconds() < deadline {
                guard waitReadable(b.fd, milliseconds: 500) else { continue }
                calls += 1
                try b.receive(maxBatches: 1) { datagram in
                    sequences.append(datagram.payload.loadUnaligned(as: UInt32.self).bigEndian)
                }
            }
            #expect(sequences == (0..<UInt32(count)).map { $0 })
            // Batches of 32: 7 calls when the burst is already queued; allow slack for
            // datagrams still in flight when a call is made.
            #expect(calls <= 20, "\(calls) receive calls for \(count) datagrams")
            print("burst of \(count) datagrams drained in \(calls) recvmmsg calls; SO_RCVBUF reports \(b.receiveBufferBytes) bytes")
        }
    }

    @Test func socketDrivesTheEventLoop() throws {
        try NetworkLab.with { lab in
            let (a, b) = try Self.pair(lab, ipv6: true)
            var received: [[UInt8]] = []
            try NamespaceThread.runOnFreshThread {
                let loop = try EventLoop()
                try loop.register(fd: b.fd, name: "multicast") {
                    try b.receive { received.append(Array($0.payload)) }
                    if received.count == 3 { loop.stop() }
                }
                try loop.scheduleTimer(name: "send", after: .milliseconds(10)) {
                    for byte: UInt8 in 1...3 { try a.send([byte]) }
                }
                try loop.scheduleTimer(name: "watchdog", after: .seconds(5)) { loop.stop() }
                try loop.run()
            }
            #expect(received == [[1], [2], [3]])
        }
    }

    @Test func errorsNameTheCallAndTheInterface() throws {
        try NetworkLab.with { lab in
            let error = try lab.inA {
                caught { _ = try MulticastSocket(settings: Self.ipv6Settings(index: 999_999, name: "nosuch0")) }
            }
            guard case .system(let system)? = error as? MulticastSocketError else {
                Issue.record("not a system error: \(String(describing: error))")
                return
            }
            #expect(system.call == "setsockopt(IPV6_ADD_MEMBERSHIP)")
            #expect(system.errno == ENODEV)
            #expect(system.description == "setsockopt(IPV6_ADD_MEMBERSHIP)([ff08::db8:64:64]:6464 on nosuch0 (index 999999)): No such device (errno 19)")
        }
    }

    @Test func reuseAddressDecidesWhetherASecondDaemonCanBind() throws {
        try NetworkLab.with { lab in
            let withoutReuse = try lab.inA {
                let settings = Self.ipv6Settings(index: lab.indexA, name: lab.interfaceA, reuse: false)
                let first = try MulticastSocket(settings: settings)
                defer { first.close() }
                return caught { _ = try MulticastSocket(settings: settings) }
            }
            #expect(withoutReuse as? MulticastSocketError == .system(SystemError("bind", errno: EADDRINUSE, context: "[ff08::db8:64:64]:6464")))
            #expect((withoutReuse as? MulticastSocketError)?.description
                    == "bind([ff08::db8:64:64]:6464): Address already in use (errno 98)", "\(String(describing: withoutReuse))")
            let withReuse = try lab.inB {
                let settings = Self.ipv6Settings(index: lab.indexB, name: lab.interfaceB, reuse: true)
                let first = try MulticastSocket(settings: settings)
                defer { first.close() }
                return caught { _ = try MulticastSocket(settings: settings) }
            }
            #expect(withReuse == nil, "\(String(describing: withReuse))")
        }
    }
}

/// Settings that cannot work are refused with a typed error, without touching the network.
@Suite struct MulticastSocketSettingsTests {
    @Test func malformedSettingsAreRefusedNotFatal() {
        let shortGroup = NetSocketSettings(family: .ipv6, groupAddress: [0xff, 0x08], port: 6464, display: "ff08::?")
        #expect(throws: MulticastSocketError.malformedGroupAddress("ff08::?")) {
            try MulticastSocket(settings: shortGroup)
        }
        let longInterface = NetSocketSettings(family: .ipv4, groupAddress: [233, 252, 0, 64], port: 6464,
                                              inInterface: .ipv4Address([192, 0, 2, 1, 7]), display: "233.252.0.64:6464")
        #expect(throws: MulticastSocketError.self) { try MulticastSocket(settings: longInterface) }
        let ipv4InterfaceForIPv6 = NetSocketSettings(family: .ipv6, groupAddress: MulticastSocketTests.ipv6Group,
                                                     port: 6464, outInterface: .ipv4Address([192, 0, 2, 1]),
                                                     display: "[ff08::db8:64:64]:6464")
        #expect(throws: MulticastSocketError.self) { try MulticastSocket(settings: ipv4InterfaceForIPv6) }
    }
}

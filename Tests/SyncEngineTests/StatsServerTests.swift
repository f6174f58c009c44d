#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
@testable import SyncEngine

/// The stats server in a namespace of its own (only `lo`), served by an event
/// loop on the namespace thread; the client socket is driven by the same loop.
@Suite struct StatsServerTests {
    /// Builds a different reply on every call, so each answer shows it was asked for.
    final class CountingProvider {
        var calls = 0
        func reply() -> [UInt8] {
            calls += 1
            return Array("KERNEL_SENT_PKTS,\(calls)\nKERNEL_SENT_BYTES,\(calls * 52)\nNET_RCVD_PKTS,0\nNET_RCVD_BYTES,0\nNET_SENT_PKTS,\(calls)\nNET_SENT_BYTES,\(calls * 52)\n".utf8)
        }
    }

    /// Sends `queries` copies of `payload` to `address` and runs the loop until as
    /// many answers came back (or `patience` passed). Returns the answers.
    static func ask(_ loop: EventLoop, _ address: SocketAddress, payload: [UInt8], queries: Int = 1,
                    patience: Duration = .seconds(3)) throws -> [[UInt8]] {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(address.family, type, 0)
        guard fd >= 0 else { throw SystemError.lastError("socket", "client") }
        defer { close(fd) }
        var answers: [[UInt8]] = []
        try loop.register(fd: fd, name: "client") {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count >= 0 else { return }
                answers.append(Array(buffer.prefix(count)))
                if answers.count == queries { loop.stop() }
            }
        }
        defer { loop.unregister(fd: fd) }
        for _ in 0..<queries {
            let sent = address.withSockAddr { sendto(fd, payload, payload.count, 0, $0, $1) }
            guard sent == payload.count else { throw SystemError.lastError("sendto", address.description) }
        }
        let watchdog = try loop.scheduleTimer(name: "watchdog", after: patience) { loop.stop() }
        try loop.run()
        loop.cancelTimer(watchdog)
        return answers
    }

    static let loopback6: [UInt8] = Array(repeating: 0, count: 15) + [1]

    @Test func dualStackWildcardAnswersIPv4AndIPv6WithTheProvidersBytes() throws {
        try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let provider = CountingProvider()
                let server = try StatsServer(address: "::", port: "0", loop: loop, logger: Logger(label: "test"),
                                             reply: provider.reply)
                #expect(server.boundAddresses.map(\.family) == [AF_INET6])
                #expect(server.port != 0)

                let overIPv4 = try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: server.port),
                                            payload: Array("\n".utf8))
                #expect(overIPv4 == [CountingProvider().replyNumber(1)])
                let overIPv6 = try Self.ask(loop, SocketAddress(ipv6: Self.loopback6, port: server.port), payload: [])
                #expect(overIPv6 == [CountingProvider().replyNumber(2)])
                #expect(provider.calls == 2)
            }
        }
    }

    @Test func wildcardOfBothFamiliesNeedsOnlyTheDualStackSocket() throws {
        try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let provider = CountingProvider()
                // getaddrinfo(NULL, ...) yields both "::" and "0.0.0.0"...
                let resolved = try AddressResolution.passiveUDP(host: nil, service: "0")
                #expect(Set(resolved.map(\.description)) == ["[::]:0", "0.0.0.0:0"])
                // ...of which the dual-stack "::" socket serves both.
                let server = try StatsServer(address: nil, port: "0", loop: loop, logger: Logger(label: "test"),
                                             reply: provider.reply)
                #expect(server.boundAddresses.count == 1)
                #expect(try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: server.port), payload: [1]).count == 1)
                #expect(try Self.ask(loop, SocketAddress(ipv6: Self.loopback6, port: server.port), payload: [1]).count == 1)
            }
        }
    }

    @Test func burstOfQueriesIsAnsweredInFull() throws {
        try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let provider = CountingProvider()
                let server = try StatsServer(address: "127.0.0.1", port: "0", loop: loop, logger: Logger(label: "test"),
                                             reply: provider.reply)
                let answers = try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: server.port),
                                           payload: [0], queries: 150)
                #expect(answers.count == 150)
                #expect(Set(answers).count == 150)
            }
        }
    }

    @Test func closedServerNoLongerAnswers() throws {
        try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let provider = CountingProvider()
                let server = try StatsServer(address: "127.0.0.1", port: "0", loop: loop, logger: Logger(label: "test"),
                                             reply: provider.reply)
                let port = server.port
                server.close()
                #expect(loop.registeredDescriptorCount == 0)
                let answers = try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: port), payload: [0],
                                           patience: .milliseconds(300))
                #expect(answers.isEmpty)
                #expect(provider.calls == 0)
            }
        }
    }

    @Test func failuresNameTheCallAndTheAddress() throws {
        try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let first = try StatsServer(address: "::", port: "0", loop: loop, logger: Logger(label: "test")) { [] }
                let taken = String(first.port)
                let conflict = #expect(throws: SystemError.self) {
                    try StatsServer(address: "::", port: taken, loop: loop, logger: Logger(label: "test")) { [] }
                }
                #expect(conflict?.description == "bind([::]:\(taken)): Address already in use (errno 98)")
                // The failed server left nothing registered behind.
                #expect(loop.registeredDescriptorCount == 1)

                let unknown = #expect(throws: AddressResolutionError.self) {
                    try StatsServer(address: "::", port: "no-such-service", loop: loop, logger: Logger(label: "test")) { [] }
                }
                #expect(unknown?.description.hasPrefix("getaddrinfo(::, no-such-service): ") == true)
            }
        }
    }
}

extension StatsServerTests.CountingProvider {
    /// What the provider returns on its n-th call.
    func replyNumber(_ n: Int) -> [UInt8] {
        var reply: [UInt8] = []
        for _ in 0..<n { reply = self.reply() }
        return reply
    }
}

#if canImport(Glibc)
import Glibc
#endif
@testable import LinuxRuntime
import Logging
import NetworkTestSupport
@testable import Relay
import Testing

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

    static func server(_ loop: EventLoop, _ address: String?, port: String = "0",
                       _ provider: CountingProvider) throws -> StatsServer {
        try StatsServer(address: address, port: port, loop: loop, logger: Logger(label: "test"), reply: provider.reply)
    }

    @Test func dualStackWildcardAnswersIPv4AndIPv6WithTheProvidersBytes() throws {
        let provider = CountingProvider()
        let (families, port, overIPv4, overIPv6) = try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let server = try Self.server(loop, "::", provider)
                let overIPv4 = try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: server.port),
                                            payload: Array("\n".utf8))
                let overIPv6 = try Self.ask(loop, SocketAddress(ipv6: Self.loopback6, port: server.port), payload: [])
                return (server.boundAddresses.map(\.family), server.port, overIPv4, overIPv6)
            }
        }
        #expect(families == [AF_INET6])
        #expect(port != 0)
        #expect(overIPv4 == [CountingProvider().replyNumber(1)])
        #expect(overIPv6 == [CountingProvider().replyNumber(2)], "an empty query deserves an answer too")
        #expect(provider.calls == 2)
    }

    @Test func wildcardOfBothFamiliesNeedsOnlyTheDualStackSocket() throws {
        let (resolved, bound, overIPv4, overIPv6) = try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let resolved = try AddressResolution.passiveUDP(host: nil, service: "0")
                let server = try Self.server(loop, nil, CountingProvider())
                return (resolved.map(\.description), server.boundAddresses.count,
                        try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: server.port), payload: [1]),
                        try Self.ask(loop, SocketAddress(ipv6: Self.loopback6, port: server.port), payload: [1]))
            }
        }
        // getaddrinfo(NULL, ...) yields both "::" and "0.0.0.0"...
        #expect(Set(resolved) == ["[::]:0", "0.0.0.0:0"])
        // ...of which the dual-stack "::" socket serves both.
        #expect(bound == 1)
        #expect(overIPv4.count == 1)
        #expect(overIPv6.count == 1)
    }

    @Test func burstOfQueriesIsAnsweredInFull() throws {
        let answers = try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let server = try Self.server(loop, "127.0.0.1", CountingProvider())
                return try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: server.port),
                                    payload: [0], queries: 150)
            }
        }
        #expect(answers.count == 150)
        #expect(Set(answers).count == 150)
    }

    @Test func closedServerNoLongerAnswers() throws {
        let provider = CountingProvider()
        let (registered, answers) = try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let server = try Self.server(loop, "127.0.0.1", provider)
                let port = server.port
                server.close()
                return (loop.registeredDescriptorCount,
                        try Self.ask(loop, SocketAddress(ipv4: [127, 0, 0, 1], port: port), payload: [0],
                                     patience: .milliseconds(300)))
            }
        }
        #expect(registered == 0)
        #expect(answers.isEmpty)
        #expect(provider.calls == 0)
    }

    @Test func failuresNameTheCallAndTheAddress() throws {
        let (taken, conflict, registered, unknown) = try NetworkLab.with(pair: false) { lab in
            try lab.inA {
                let loop = try EventLoop()
                let first = try Self.server(loop, "::", CountingProvider())
                let taken = String(first.port)
                let conflict = caught { _ = try Self.server(loop, "::", port: taken, CountingProvider()) }
                let registered = loop.registeredDescriptorCount
                let unknown = caught { _ = try Self.server(loop, "::", port: "no-such-service", CountingProvider()) }
                return (taken, conflict, registered, unknown)
            }
        }
        #expect((conflict as? StatsServerError)?.description == "bind([::]:\(taken)): Address already in use (errno 98)",
                "\(String(describing: conflict))")
        // The failed server left nothing registered behind.
        #expect(registered == 1)
        guard case .resolution(let resolution)? = unknown as? StatsServerError else {
            Issue.record("not a resolution error: \(String(describing: unknown))")
            return
        }
        #expect(resolution.description.hasPrefix("getaddrinfo(::, no-such-service): "),
                "\(String(describing: unknown))")
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

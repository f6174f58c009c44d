import Foundation
import Glibc
import JoolSimulator
import JoolWire
import LinuxRuntime
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// Two nodes, each a supervisor with one worker and its own simulated kernel, in two
    /// namespaces joined by a veth pair: a session the kernel of A multicasts reaches the
    /// kernel of B, and `jooldctl stats` shows it on both sides.
    @Suite struct Stats {
        @Test func statsShowWhatWasRelayedOnBothSides() throws {
            let directory = TemporaryDirectory(prefix: "jsv")
            defer { directory.remove() }
            let namespaces = try TestNamespaces(count: 2, veth: true)
            defer { namespaces.delete() }
            let kernelA = try SimulatedJool(path: directory.file("kernel-a.sock"), instances: [.init(name: "alpha")])
            defer { kernelA.stop() }
            let kernelB = try SimulatedJool(path: directory.file("kernel-b.sock"), instances: [.init(name: "bravo")])
            defer { kernelB.stop() }
            let supervisorA = try SupervisorProcess(directory: directory, kernel: kernelA, socketPath: directory.file("run-a/s.sock"),
                                                    statePath: directory.file("state-a.json"), tag: "supervisor-a")
            defer { supervisorA.stop() }
            let supervisorB = try SupervisorProcess(directory: directory, kernel: kernelB, socketPath: directory.file("run-b/s.sock"),
                                                    statePath: directory.file("state-b.json"), tag: "supervisor-b")
            defer { supervisorB.stop() }
            let logs = { "--- A ---\n\(supervisorA.log)\n--- B ---\n\(supervisorB.log)" }
            let (a, b) = (namespaces[0], namespaces[1])

            let netA = directory.write("net-a.json", NetFiles.ipv6(interface: namespaces.vethA))
            let netB = directory.write("net-b.json", NetFiles.ipv6(interface: namespaces.vethB))
            let addA = try jooldctl(["add", "--instance", "alpha", "--netns", a, "--net", netA, "--stats-port", "45678", "--json"],
                                    socket: supervisorA.socketPath)
            let addB = try jooldctl(["add", "--instance", "bravo", "--netns", b, "--net", netB, "--json"],
                                    socket: supervisorB.socketPath)
            try #require(addA.status == 0 && addB.status == 0, "\(addA)\n\(addB)\n\(logs())")
            let (statusA, statusB) = (try addA.json(), try addB.json())
            #expect(isRunning(statusA) && isRunning(statusB), "\(addA)\n\(addB)")
            #expect(statusA["stats_port"] == .integer(45678))

            // Nothing relayed yet: six zero lines first.
            let idle = try jooldctl(["stats", "bravo", "--netns", b], socket: supervisorB.socketPath)
            #expect(idle.status == 0 && idle.stderr == "", "\(idle)")
            #expect(Array(textLines(idle.stdout).prefix(6)) == stockLines([0, 0, 0, 0, 0, 0]), "\(idle.stdout)")

            let payload = sessionPayload(2)
            kernelA.multicast(payload: payload, instance: "alpha")
            #expect(kernelB.wait { $0.adds.count == 1 }, "B's kernel got no ADD\n\(logs())")
            let add = try #require(kernelB.record.adds.first)
            #expect(add.instance == "bravo")
            #expect(add.payload == payload)
            #expect(kernelA.wait { $0.acks == 1 }, "A did not ACK its kernel's packet")

            let n = payload.count
            let statsA = try jooldctl(["stats", "alpha", "--netns", a], socket: supervisorA.socketPath)
            #expect(statsA.status == 0 && statsA.stderr == "", "\(statsA)")
            let linesA = textLines(statsA.stdout)
            #expect(Array(linesA.prefix(6)) == stockLines([0, 0, 0, 0, 1, n]), "\(statsA.stdout)")
            expectExtraLines(Array(linesA.dropFirst(6)))

            let statsB = try jooldctl(["stats", "bravo", "--netns", b], socket: supervisorB.socketPath)
            #expect(statsB.status == 0 && statsB.stderr == "", "\(statsB)")
            let linesB = textLines(statsB.stdout)
            #expect(Array(linesB.prefix(6)) == stockLines([1, n, 1, n, 0, 0]), "\(statsB.stdout)")
            expectExtraLines(Array(linesB.dropFirst(6)))

            // `jooldctl stats NAME | head -6` is what the worker's own stats server says.
            let server = try askStats(namespace: a, port: 45678)
            #expect(server == linesA.prefix(6).joined(separator: "\n") + "\n")

            // --json: the same counters, by name.
            let json = try jooldctl(["stats", "bravo", "--netns", b, "--json"], socket: supervisorB.socketPath).json()
            let counters = json["instances"]?.arrayValue?.first?["counters"]
            #expect(counters?["KERNEL_SENT_PKTS"] == .integer(1) && counters?["NET_RCVD_PKTS"] == .integer(1), "\(json.serialized())")
            #expect(counters?["NET_RCVD_BYTES"] == .integer(Int64(n)))

            // Without a name: one block per instance, headed by its namespace and name.
            let all = try jooldctl(["stats"], socket: supervisorA.socketPath)
            #expect(all.status == 0)
            #expect(all.stdout.hasPrefix("# instance \(a)/alpha\n" + linesA.prefix(6).joined(separator: "\n") + "\n"), "\(all.stdout)")
        }

        private func stockLines(_ values: [Int]) -> [String] {
            zip(["KERNEL_SENT_PKTS", "KERNEL_SENT_BYTES", "NET_RCVD_PKTS", "NET_RCVD_BYTES", "NET_SENT_PKTS", "NET_SENT_BYTES"], values)
                .map { "\($0),\($1)" }
        }

        /// The lines of a text that ends with a newline (a missing final newline is a failure).
        private func textLines(_ text: String) -> [String] {
            #expect(text.hasSuffix("\n"), "\(text.debugDescription)")
            return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }

        /// This project's counters after the six: "name,number" lines.
        private func expectExtraLines(_ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(!lines.isEmpty, sourceLocation: sourceLocation)
            for line in lines {
                let parts = line.split(separator: ",", omittingEmptySubsequences: false)
                #expect(parts.count == 2 && !parts[0].isEmpty && UInt64(parts[1]) != nil, "\(line)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// The container payload of a kernel packet carrying `count` UDP sessions (format F1, Jool 4.1.9).
func sessionPayload(_ count: Int) -> [UInt8] {
    (0..<count).flatMap { index in
        let session = Session(proto: .udp, state: .established, timer: .established,
                              src6: Session.IPv6Endpoint(address: IPv6Address("2001:db8::8")!, port: UInt16(40000 + index)),
                              dst6: Session.IPv6Endpoint(address: IPv6Address("64:ff9b::c000:208")!, port: 5000),
                              src4: Session.IPv4Endpoint(address: IPv4Address("192.0.2.1")!, port: UInt16(61001 + index)),
                              dst4: Session.IPv4Endpoint(address: IPv4Address("192.0.2.8")!, port: 5000),
                              expirationMilliseconds: 299_000)
        return try! SessionCodec.encode(session, format: .f1)
    }
}

/// Asks the stats server on 127.0.0.1:`port` inside `namespace`; its answer.
func askStats(namespace: String, port: UInt16) throws -> String {
    try NamespaceThread.run(inNamespaceNamed: namespace) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let server = SocketAddress(ipv4: [127, 0, 0, 1], port: port)
        _ = server.withSockAddr { address, length in
            [UInt8(0x0a)].withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, length) }
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { throw TestFailure("no answer from the stats server on port \(port)") }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

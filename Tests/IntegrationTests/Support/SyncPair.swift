import Foundation
import Glibc
import JoolSimulator
import JoolWire
import NetworkTestSupport

/// Two sync nodes A and B in two namespaces joined by a veth pair, each a real `joold`
/// with its own simulated Jool kernel, exchanging sessions over IPv6 or IPv4 multicast.
struct SyncPair {
    enum Family: String, CaseIterable, Sendable { case ipv6, ipv4 }

    static let port: UInt16 = 6464
    static let statsPortA: UInt16 = 45678
    static let statsPortB: UInt16 = 45679

    let lab: NetworkLab
    let family: Family
    let directory: URL
    let kernelA: SimulatedJool
    let kernelB: SimulatedJool
    let joolda: JooldProcess
    let jooldb: JooldProcess

    var group: String { family == .ipv6 ? "ff08::db8:64:64" : "233.252.0.64" }

    /// Sets everything up, runs `body`, tears everything down. `prefix` as in `JooldProcess`
    /// (the files and the kernels' sockets are then open to every user).
    static func with(_ family: Family, version: JoolVersion = .v4_1_9, prefix: [String] = [],
                     _ body: (SyncPair) throws -> Void) throws {
        try NetworkLab.with { lab in
            let directory = try Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let kernelA = try SimulatedJool(path: directory.appendingPathComponent("a.sock").path, version: version)
            let kernelB = try SimulatedJool(path: directory.appendingPathComponent("b.sock").path, version: version)
            defer { kernelA.stop(); kernelB.stop() }
            for (node, interface, address) in [("a", lab.interfaceA, "192.0.2.1"), ("b", lab.interfaceB, "192.0.2.2")] {
                try netsocket(family, interface: interface, address: address)
                    .write(to: directory.appendingPathComponent("net-\(node).json"), atomically: true, encoding: .utf8)
            }
            try #"{ "instance": "default" }"#.write(to: directory.appendingPathComponent("mod.json"), atomically: true, encoding: .utf8)
            if !prefix.isEmpty {
                for path in [directory.path, kernelA.path, kernelB.path] { chmod(path, path == directory.path ? 0o755 : 0o666) }
            }
            // The stock positional form: NETSOCKET MODSOCKET PORT.
            let a = try JooldProcess(namespace: lab.namespaceA, directory: directory, kernel: kernelA,
                                     arguments: ["net-a.json", "mod.json", "\(statsPortA)"], prefix: prefix)
            let b = try JooldProcess(namespace: lab.namespaceB, directory: directory, kernel: kernelB,
                                     arguments: ["net-b.json", "mod.json", "\(statsPortB)"], prefix: prefix)
            for process in [a, b] where !process.waitForLog("started:") {
                throw TestFailure("joold did not start:\n\(process.log)")
            }
            try body(SyncPair(lab: lab, family: family, directory: directory, kernelA: kernelA, kernelB: kernelB,
                              joolda: a, jooldb: b))
        }
    }

    static func netsocket(_ family: Family, interface: String, address: String) -> String {
        switch family {
        case .ipv6:
            return #"{ "multicast address": "ff08::db8:64:64", "multicast port": "6464", "in interface": "\#(interface)", "out interface": "\#(interface)", "ttl": 1 }"#
        case .ipv4:
            return #"{ "multicast address": "233.252.0.64", "multicast port": 6464, "in interface": "\#(address)", "out interface": "\#(address)", "reuseaddr": 1 }"#
        }
    }

    /// Sends raw datagrams to the group from A's namespace (multicast loopback off, so
    /// only B's joold hears them).
    func sendFromA(_ payloads: [[UInt8]]) throws {
        try LabSocket.sendToGroup(payloads, namespace: lab.namespaceA, family: family == .ipv6 ? AF_INET6 : AF_INET,
                                  group: group, port: Self.port, interfaceIndex: lab.indexA, interfaceAddress: "192.0.2.1")
    }
}

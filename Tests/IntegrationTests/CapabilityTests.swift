import Foundation
import Glibc
import JoolSimulator
import Testing

/// contrib/joold.service runs joold as an unprivileged (dynamic) user whose only
/// capability is CAP_NET_ADMIN, for Jool's netlink requests (docs/capabilities.md). With
/// that alone, as user nobody through setpriv, it starts, relays both ways and answers
/// its stats.
@Suite(.serialized)
struct JooldCapabilityTests {
    @Test func anUnprivilegedUserWithOnlyCapNetAdminRelays() throws {
        let unit = try unitSettings()
        #expect(unit["CapabilityBoundingSet"] == "CAP_NET_ADMIN" && unit["AmbientCapabilities"] == "CAP_NET_ADMIN", "\(unit)")
        #expect(unit["DynamicUser"] == "yes")
        let prefix = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                      "--inh-caps=-all,+net_admin", "--ambient-caps=-all,+net_admin", "--bounding-set=-all,+net_admin"]
        try SyncPair.with(.ipv6, prefix: prefix) { pair in
            for joold in [pair.joolda, pair.jooldb] {
                let status = try String(contentsOfFile: "/proc/\(joold.process.processIdentifier)/status", encoding: .utf8)
                let fields = Dictionary(status.split(separator: "\n").compactMap { line -> (String, String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }, uniquingKeysWith: { first, _ in first })
                #expect(fields["Uid"]?.hasPrefix("65534") == true, "joold runs as nobody: \(fields["Uid"] ?? "?")")
                #expect(fields["CapEff"] == "0000000000001000", "CAP_NET_ADMIN only: \(fields["CapEff"] ?? "?")")
            }
            let payload = Fixtures.payload(3)
            pair.kernelA.multicast(payload: payload)
            #expect(pair.kernelB.wait { $0.adds.count == 1 }, "B's kernel got no ADD:\n\(pair.jooldb.log)")
            #expect(pair.kernelB.record.adds.first?.payload == payload)
            pair.kernelB.multicast(payload: Fixtures.payload(1, first: 7))
            #expect(pair.kernelA.wait { $0.adds.count == 1 }, "A's kernel got no ADD:\n\(pair.joolda.log)")
            let stats = try LabSocket.askStats(namespace: pair.lab.namespaceA, port: SyncPair.statsPortA)
            #expect(stats.hasPrefix("KERNEL_SENT_PKTS,1\n"), "\(stats)")
        }
    }
}

/// The [Service] settings of contrib/joold.service (the last of each name).
private func unitSettings() throws -> [String: String] {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("contrib/joold.service").path
    var settings: [String: String] = [:]
    for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        settings[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return settings
}

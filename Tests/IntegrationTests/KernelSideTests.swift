import Foundation
import Glibc
import JoolSimulator
import JoolWire
import Netlink
import NetworkTestSupport
import Testing

/// One real joold process against a simulated Jool kernel: start-up checks, ss-enabled,
/// the CSV mode, kernel errors and broken kernel messages.
@Suite(.serialized)
struct KernelSideTests {
    /// Runs joold with `arguments` in a fresh namespace against `kernel`.
    private func withJoold(kernel: (String) throws -> SimulatedJool, arguments: [String] = ["--instance", "default"],
                           _ body: (JooldProcess, SimulatedJool) throws -> Void) throws {
        try NetworkLab.with(pair: false) { lab in
            let directory = try Fixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let simulated = try kernel(directory.appendingPathComponent("k.sock").path)
            defer { simulated.stop() }
            let joold = try JooldProcess(namespace: lab.namespaceA, directory: directory, kernel: simulated, arguments: arguments)
            try body(joold, simulated)
        }
    }

    @Test func missingModuleIsAClearStartupError() throws {
        try withJoold(kernel: { path in
            let kernel = try SimulatedJool(path: path)
            kernel.setModuleLoaded(false)
            return kernel
        }) { joold, _ in
            #expect(joold.waitForExit() == 1)
            #expect(joold.log.contains("is the jool kernel module loaded?"), "\(joold.log)")
        }
    }

    @Test func missingInstanceIsAClearStartupError() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0, instances: [.init(name: "other")]) },
                      arguments: ["--instance", "potato"]) { joold, _ in
            #expect(joold.waitForExit() == 1)
            #expect(joold.log.contains("no NAT64 Jool instance named 'potato'"), "\(joold.log)")
        }
    }

    @Test func siitInstanceIsNamedAsSuch() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0, instances: [.init(name: "default", isNAT64: false)]) }) { joold, _ in
            #expect(joold.waitForExit() == 1)
            #expect(joold.log.contains("is a SIIT instance"), "\(joold.log)")
        }
    }

    @Test func disabledSessionSyncIsSaidLoudlyAndEnableSSFixesIt() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0, instances: [.init(ssEnabled: false)]) }) { joold, kernel in
            #expect(joold.waitForLog("started:"))
            #expect(joold.log.contains("has ss-enabled false"), "\(joold.log)")
            #expect(joold.log.contains("state: ss-enabled is false"))
            // Without --enable-ss it leaves the instance alone.
            #expect(!kernel.record.requests.contains { $0.count > 16 && $0[16] == JoolNetlink.Command.globalUpdate.rawValue })
        }
        try withJoold(kernel: { try SimulatedJool(path: $0, instances: [.init(ssEnabled: false)]) },
                      arguments: ["--instance", "default", "--enable-ss"]) { joold, kernel in
            #expect(joold.waitForLog("started:"))
            #expect(joold.log.contains("turned it on (--enable-ss)"), "\(joold.log)")
            #expect(joold.log.contains("state: running"))
            // The exact GLOBAL_UPDATE of docs/jool-kernel-protocol.md, Appendix A.3, but for
            // our sequence and port.
            let update = try #require(kernel.record.requests.first { $0.count > 16 && $0[16] == JoolNetlink.Command.globalUpdate.rawValue })
            #expect(update.count == 60)
            #expect(Array(update[48...]) == [0x0c, 0x00, 0x02, 0x80, 0x05, 0x00, 0x1b, 0x00, 0x01, 0x00, 0x00, 0x00])
        }
    }

    @Test func withoutMulticastAddressSessionsArePrintedAsCSV() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0) }) { joold, kernel in
            #expect(joold.waitForLog("no network socket"))
            kernel.multicast(payload: Fixtures.payload(2, first: 7))
            #expect(joold.waitForLog("UDP,2001:db8::8,40008,192.0.2.1,61009,192.0.2.8,5000,"), "\(joold.log)")
            #expect(joold.log.contains("UDP,2001:db8::8,40007,192.0.2.1,61008,192.0.2.8,5000,"))
            #expect(kernel.wait { $0.acks == 1 })
        }
    }

    @Test func otherInstancesPacketsAreNeitherRelayedNorAcked() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0, instances: [.init(name: "default"), .init(name: "other")]) }) { joold, kernel in
            #expect(joold.waitForLog("started:"))
            kernel.multicast(payload: Fixtures.payload(1), instance: "other")
            kernel.multicast(payload: Fixtures.payload(1, first: 3), instance: "default")
            #expect(joold.waitForLog("40003"))
            #expect(kernel.wait { $0.acks == 1 })
            #expect(!joold.log.contains("40000,"))
            usleep(200_000)
            #expect(kernel.record.acks == 1)
        }
    }

    @Test func brokenKernelMessagesAreAckedAndSurvived() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0) }) { joold, kernel in
            #expect(joold.waitForLog("started:"))
            var bad = KernelMessagesForTests.sessionMulticast(payload: Fixtures.payload(1), version: kernel.version)
            bad[20] = UInt8(ascii: "x")                                   // bad magic
            kernel.sendToAll(bad)
            kernel.sendToAll(Array(bad.prefix(30)))                       // truncated netlink message
            kernel.multicast(payload: Fixtures.payload(1, first: 4))
            #expect(joold.waitForLog("40004"), "\(joold.log)")
            #expect(kernel.wait { $0.acks == 2 }, "one ACK for the bad magic (as joold does), one for the good packet")
            let (status, log) = joold.stop()
            #expect(status == 0)
            #expect(log.contains("bad magic"))
        }
    }

    /// ACKs and ADDs answered with errors (the instance vanished) must not loop:
    /// the stock daemon ACKs error replies and spins.
    @Test func kernelErrorsDoNotTriggerAnAckStorm() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0) }) { joold, kernel in
            #expect(joold.waitForLog("started:"))
            kernel.update { $0.removeAll() }
            kernel.multicast(payload: Fixtures.payload(1))
            #expect(kernel.wait { $0.acks == 0 && $0.requests.count >= 1 })
            usleep(500_000)
            let before = kernel.record.requests.count
            usleep(500_000)
            let after = kernel.record.requests.count
            // Nothing but the periodic instance check may follow the one ACK.
            #expect(after - before <= 2, "\(after - before) requests in 0.5 s")
            let (status, log) = joold.stop()
            #expect(status == 0)
            #expect(log.contains("This namespace lacks an instance named 'default'"), "\(log)")
            #expect(JooldProcess.counters(inLog: log)["kernel-errors"] == 1)
        }
    }

    /// A dead kernel link must end the process (to be restarted), never spin on it.
    @Test func lostKernelLinkEndsTheProcessInsteadOfSpinning() throws {
        try withJoold(kernel: { try SimulatedJool(path: $0) }) { joold, kernel in
            #expect(joold.waitForLog("started:"))
            kernel.stop()
            #expect(joold.waitForExit(timeout: .seconds(5)) == 1, "\(joold.log)")
            #expect(joold.log.contains("lost the kernel link"))
        }
    }

    @Test func badConfigurationFailsWithFileKeyAndExpectation() throws {
        try withJoold(kernel: { path in
            try #"{ "multicast address": "ff08::db8:64:64", "multicast port": "6464", "ttl": 300 }"#
                .write(toFile: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("net.json").path,
                       atomically: true, encoding: .utf8)
            return try SimulatedJool(path: path)
        }, arguments: ["net.json"]) { joold, kernel in
            #expect(joold.waitForExit() == 2)
            #expect(joold.log.contains("net.json"))
            #expect(joold.log.contains("\"ttl\""))
            #expect(joold.log.contains("0 to 255"), "\(joold.log)")
            #expect(kernel.record.connections == 0)
        }
    }
}

/// Kernel messages built the way the simulator builds them, for tests that break them.
enum KernelMessagesForTests {
    static func sessionMulticast(payload: [UInt8], version: JoolVersion) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: 0x22, flags: 0, sequence: 0, portID: 0)
        writer.putGenericHeader(command: 0, version: 2)
        writer.putExtraHeader(JoolNetlink.magic + version.bigEndianBytes + [2, 0, 0, 0]
                              + Array("default".utf8) + [UInt8](repeating: 0, count: 9))
        writer.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested, payload: payload)
        return writer.bytes()
    }
}

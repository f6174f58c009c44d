import Configuration
import Glibc
import JoolSimulator
import JoolWire
import LinuxRuntime
import Logging
import NetworkTestSupport
@testable import Relay
import Testing

/// The relay in-process against the simulated kernel, for what a real socket cannot be
/// made to do on demand: receive-buffer overruns and truncated netlink messages.
@Suite struct SyncWorkerTests {
    /// Reports scripted overruns or truncations before reading the real connection.
    final class FaultInjectingChannel: KernelChannel {
        let inner: UnixKernelChannel
        var faults: [KernelReceive] = []
        init(_ inner: UnixKernelChannel) { self.inner = inner }
        var fd: Int32 { inner.fd }
        var portID: UInt32 { inner.portID }
        func send(_ message: [UInt8]) throws(SystemError) { try inner.send(message) }
        func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> KernelReceive {
            faults.isEmpty ? try inner.receive(into: buffer) : faults.removeFirst()
        }
        func joinGroup(_ id: UInt32) throws(SystemError) {}
        func close() { inner.close() }
    }

    private func makeWorker(_ kernel: SimulatedJool, capture: LogCapture, printed: @escaping (String) -> Void)
        throws -> (SyncWorker, FaultInjectingChannel) {
        let channel = FaultInjectingChannel(UnixKernelChannel(connected: try kernel.connect(), portID: 4242))
        let link = KernelLink(channel: channel)
        try link.resolveFamily()
        let worker = try SyncWorker(configuration: WorkerConfiguration(network: nil), link: link, version: kernel.version,
                                    logger: capture.logger(), sessionOutput: printed)
        return (worker, channel)
    }

    private func withKernel(_ body: (SimulatedJool) throws -> Void) throws {
        let kernel = try SimulatedJool(path: "/tmp/joold-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock")
        defer { kernel.stop() }
        try body(kernel)
    }

    @Test func overrunIsCountedLoggedAndAnsweredWithAnAck() throws {
        try withKernel { kernel in
            let capture = LogCapture()
            let (worker, channel) = try makeWorker(kernel, capture: capture) { _ in }
            channel.faults = [.overrun]
            try worker.kernelReadable()
            #expect(worker.extra.netlinkOverruns == 1)
            #expect(kernel.wait { $0.acks == 1 }, "the kernel may wait for the ACK of a packet we never saw")
            #expect(capture.messages.contains { $0.contains("overrun") })
        }
    }

    @Test func truncatedKernelMessageIsCountedAndAcked() throws {
        try withKernel { kernel in
            let capture = LogCapture()
            let (worker, channel) = try makeWorker(kernel, capture: capture) { _ in }
            channel.faults = [.truncated]
            try worker.kernelReadable()
            #expect(worker.extra.truncatedNetlinkReceptions == 1)
            #expect(kernel.wait { $0.acks == 1 })
        }
    }

    static let session = Session(proto: .tcp, state: .v4Init, timer: .syn4,
                                 src6: .init(address: IPv6Address("2001:db8::8")!, port: 37878),
                                 dst6: .init(address: IPv6Address("64:ff9b::c000:208")!, port: 1234),
                                 src4: .init(address: IPv4Address("192.0.2.1")!, port: 62805),
                                 dst4: .init(address: IPv4Address("192.0.2.8")!, port: 1234),
                                 expirationMilliseconds: 7_199_000)

    @Test(arguments: [JoolVersion.v4_1_9, JoolVersion.v4_1_15])
    func sessionsOfEitherFormatArePrintedAndAcked(version: JoolVersion) throws {
        let kernel = try SimulatedJool(path: "/tmp/joold-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock",
                                       version: version)
        defer { kernel.stop() }
        let capture = LogCapture()
        var lines: [String] = []
        let (worker, _) = try makeWorker(kernel, capture: capture) { lines.append($0) }
        let session = Self.session
        kernel.multicast(payload: try SessionCodec.encode(session, format: version.sessionFormat))
        for _ in 0..<200 where lines.isEmpty {
            try worker.kernelReadable()
            usleep(5000)
        }
        #expect(lines == [SessionCSV.line(session)])
        #expect(lines.first?.hasPrefix("TCP,2001:db8::8,37878,192.0.2.1,62805,192.0.2.8,1234,") == true)
        #expect(kernel.wait { $0.acks == 1 })
        #expect(worker.extra.kernelMessagesReceived == 1)
    }

    /// The kernel holds its next session packet until the last one is ACKed: one that
    /// arrives while any request waits for its reply (the monitor's probe, the
    /// advertiser's table pages) is relayed and ACKed by the link, with no caller's help.
    @Test func aSessionPacketArrivingDuringARequestIsRelayedAndAckedWithoutTheCaller() throws {
        try withKernel { kernel in
            let capture = LogCapture()
            var lines: [String] = []
            let (worker, _) = try makeWorker(kernel, capture: capture) { lines.append($0) }
            kernel.multicastBeforeNextReply(payload: try SessionCodec.encode(Self.session, format: kernel.version.sessionFormat))
            let report = try InstanceProbe(link: worker.link, requests: worker.requests).probe(enableSessionSync: false)
            #expect(report.ssEnabled)
            // Nothing read the kernel channel after the probe: the link relayed while it waited.
            #expect(lines == [SessionCSV.line(Self.session)])
            #expect(kernel.wait { $0.acks == 1 })
            #expect(worker.extra.kernelMessagesReceived == 1 && worker.extra.acksSent == 1)
        }
    }
}

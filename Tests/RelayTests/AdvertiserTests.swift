import Configuration
import Glibc
import JoolSimulator
import JoolWire
@testable import LinuxRuntime
import Logging
import NetworkTestSupport
@testable import Relay
import Testing

/// The worker's own advertisement: a worker in namespace A (its kernel simulated,
/// holding a session table) sends the table to a listener in B over a veth pair.
@Suite struct AdvertiserTests {
    struct Arrival {
        let bytes: [UInt8]
        let at: UInt64
    }

    struct Outcome {
        var result: Result<Advertiser.Report, AdvertiseError>?
        var arrivals: [Arrival] = []
        var started: UInt64 = 0
        var busyRefused = false
        var counters = AdvertiseCounters()
        var netSentPackets: UInt64 = 0
        var expected: [Session] = []
        var acks = 0
    }

    /// Advertises `table` from A to B; `during` runs on the loop 100 ms after the start.
    private func advertise(_ table: [Session], version: JoolVersion, settings: Advertiser.Settings,
                           during: ((SimulatedJool) -> Void)? = nil) throws -> Outcome {
        try NetworkLab.with { lab in
            let fixture = try KernelFixture(version: version)
            defer { fixture.stop() }
            fixture.kernel.setSessions(table)
            var outcome = Outcome()
            outcome.expected = fixture.kernel.sessions()
            let listener = try lab.inB {
                try MulticastSocket(settings: MulticastSocketTests.ipv6Settings(index: lab.indexB, name: lab.interfaceB))
            }
            try lab.inA {
                let capture = LogCapture()
                let network = MulticastSocketTests.ipv6Settings(index: lab.indexA, name: lab.interfaceA)
                let worker = try SyncWorker(configuration: WorkerConfiguration(network: network), link: fixture.link,
                                            version: version, logger: capture.logger())
                defer { worker.close() }
                let loop = try EventLoop(logger: capture.logger())
                try worker.attach(to: loop)
                try loop.register(fd: listener.fd, name: "listener in B") {
                    try listener.receive { datagram in
                        outcome.arrivals.append(Arrival(bytes: Array(datagram.payload), at: MonotonicClock.nanoseconds()))
                    }
                }
                let advertiser = Advertiser(worker: worker, loop: loop, settings: settings, logger: capture.logger())
                outcome.started = MonotonicClock.nanoseconds()
                try advertiser.start { result in
                    outcome.result = result
                    // Let the last datagrams cross the veth pair.
                    _ = try? loop.scheduleTimer(name: "linger", after: .milliseconds(150)) { loop.stop() }
                }
                do {
                    try advertiser.start { _ in }
                } catch {
                    outcome.busyRefused = advertiser.isRunning && (error as? AdvertiseError) == .busy
                }
                if let during {
                    try loop.scheduleTimer(name: "during", after: .milliseconds(100)) { during(fixture.kernel) }
                }
                try loop.scheduleTimer(name: "watchdog", after: .seconds(30)) { loop.stop() }
                try loop.run()
                outcome.counters = advertiser.counters
                outcome.netSentPackets = worker.counters.netSentPackets
            }
            outcome.acks = fixture.kernel.record.acks
            return outcome
        }
    }

    /// What was advertised, for comparing with the table: expirations cleared (they
    /// age while the advertisement runs), and dst6 too for F3 (it does not carry it).
    private func comparable(_ sessions: [Session], format: SessionFormat) -> [Session] {
        sessions.map { session in
            var copy = session
            copy.expirationMilliseconds = 0
            if format == .f3 { copy.dst6 = nil }
            return copy
        }
    }

    @Test(arguments: [JoolVersion.v4_1_9, JoolVersion.v4_1_15])
    func datagramsCarryExactlyTheTableInWholeRecordsRealDaemonsAccept(version: JoolVersion) throws {
        let format = version.sessionFormat
        let table = sessionTable(tcp: 130, udp: 101, icmp: 17)
        let outcome = try advertise(table, version: version, settings: Advertiser.Settings(sessionsPerSecond: 20_000))
        let report = try #require(try outcome.result?.get())
        let perDatagram = format == .f1 ? 10 : 36
        let datagrams = outcome.arrivals.map(\.bytes)

        #expect(report.sessions == 248)
        #expect(report.datagrams == datagrams.count, "every datagram crossed the veth pair")
        #expect(datagrams.count == (130 + 101 + 17 + perDatagram - 1) / perDatagram)
        #expect(outcome.busyRefused, "a second advertisement is refused while one runs")
        for (index, datagram) in datagrams.enumerated() {
            #expect(datagram.count <= SessionDatagram.maxSize)
            #expect(datagram.count % format.recordSize == 0)
            #expect(datagram.count / format.recordSize <= perDatagram)
            // Full datagrams but the last.
            if index < datagrams.count - 1 { #expect(datagram.count == perDatagram * format.recordSize) }
            // What a peer checks before its JOOLD_ADD.
            #expect(throws: Never.self) { try DatagramValidator(format: format).validate(datagram) }
        }
        let decoded = try SessionCodec.decode(datagrams.flatMap { $0 }, format: format)
        #expect(comparable(decoded, format: format) == comparable(outcome.expected, format: format))
        // Lifetimes: what was left when read, minus the time spent since.
        let elapsed = UInt32((outcome.arrivals.last!.at - outcome.started) / 1_000_000) + 50
        for (sent, original) in zip(decoded, outcome.expected) {
            #expect(sent.expirationMilliseconds <= original.expirationMilliseconds)
            #expect(sent.expirationMilliseconds + elapsed >= original.expirationMilliseconds)
        }
        #expect(outcome.counters.workerAdvertisements == 1 && outcome.counters.failedAdvertisements == 0)
        #expect(outcome.counters.advertisedSessions == 248)
        #expect(outcome.counters.advertisedDatagrams == UInt64(datagrams.count))
        #expect(outcome.netSentPackets == UInt64(datagrams.count), "advertised datagrams count as NET_SENT")
    }

    @Test func theRateIsKeptAndTheRelayGoesOnMeanwhile() throws {
        // 400 F1 sessions at 1000/s: 40 datagrams, the k-th not before k × 10 ms.
        let table = sessionTable(tcp: 200, udp: 200, icmp: 0)
        let live = Session(proto: .udp, src6: .init(address: IPv6Address("2001:db8::99")!, port: 7),
                           dst6: .init(address: IPv6Address("64:ff9b::cb00:7199")!, port: 53),
                           src4: .init(address: IPv4Address("192.0.2.99")!, port: 7),
                           dst4: .init(address: IPv4Address("203.0.113.153")!, port: 53), expirationMilliseconds: 1000)
        let livePayload = try SessionCodec.encode(live, format: .f1)
        let outcome = try advertise(table, version: .v4_1_9, settings: Advertiser.Settings(sessionsPerSecond: 1000)) { kernel in
            kernel.multicast(payload: livePayload)
        }
        let report = try #require(try outcome.result?.get())
        #expect(report.sessions == 400 && report.datagrams == 40)
        // Lower bounds only: (400 - 10) / 1000 s for the sender, the same at the receiver.
        #expect(report.seconds >= 0.39, "\(report.seconds) s")
        let advertised = outcome.arrivals.filter { $0.bytes != livePayload }
        let span = Double(advertised.last!.at - advertised.first!.at) / 1e9
        #expect(span >= 0.3, "first to last datagram at the receiver: \(span) s")
        print("[AdvertiserTests] 400 sessions at 1000/s: \(report.seconds) s at the sender, \(span) s first to last at the receiver")
        // The kernel's packet, multicast 100 ms in, was relayed (and ACKed) long before the end.
        let relayed = try #require(outcome.arrivals.firstIndex { $0.bytes == livePayload }, "the live session was not relayed")
        #expect(relayed < outcome.arrivals.count - 10, "relayed at position \(relayed) of \(outcome.arrivals.count)")
        #expect(outcome.acks == 1)
        #expect(outcome.netSentPackets == 41)
    }

    @Test func anEmptyTableEndsAtOnce() throws {
        let outcome = try advertise([], version: .v4_1_9, settings: Advertiser.Settings())
        let report = try #require(try outcome.result?.get())
        #expect(report.sessions == 0 && report.datagrams == 0 && report.pages == 3)
        #expect(outcome.arrivals.isEmpty)
    }

    @Test func kernelRefusalFailsTheAdvertisement() throws {
        // The instance is gone: the first page is refused.
        let outcome = try NetworkLab.with { lab in
            let fixture = try KernelFixture()
            defer { fixture.stop() }
            fixture.kernel.update { $0 = [] }
            return try lab.inA { () -> (Result<Advertiser.Report, AdvertiseError>?, AdvertiseCounters) in
                let network = MulticastSocketTests.ipv6Settings(index: lab.indexA, name: lab.interfaceA)
                let worker = try SyncWorker(configuration: WorkerConfiguration(network: network), link: fixture.link,
                                            version: .v4_1_9, logger: LogCapture().logger())
                defer { worker.close() }
                let loop = try EventLoop()
                let advertiser = Advertiser(worker: worker, loop: loop, logger: LogCapture().logger())
                var result: Result<Advertiser.Report, AdvertiseError>?
                try advertiser.start { result = $0 }
                #expect(!advertiser.isRunning)
                return (result, advertiser.counters)
            }
        }
        guard case let .failure(.kernel(.kernel(_, error)))? = outcome.0 else {
            Issue.record("expected a kernel error, got \(String(describing: outcome.0))")
            return
        }
        #expect(error.code == ESRCH)
        #expect(outcome.1.failedAdvertisements == 1)
    }

    @Test func withoutANetworkSideThereIsNobodyToAdvertiseTo() throws {
        let fixture = try KernelFixture()
        defer { fixture.stop() }
        let worker = try SyncWorker(configuration: WorkerConfiguration(network: nil), link: fixture.link,
                                    version: .v4_1_9, logger: LogCapture().logger())
        let advertiser = Advertiser(worker: worker, loop: try EventLoop(), logger: LogCapture().logger())
        #expect(throws: AdvertiseError.noNetwork) { try advertiser.start { _ in } }
    }

    @Test func versionsAndSizes() {
        #expect(!Advertiser.kernelAdvertiseWorks(.v4_1_9))
        #expect(!Advertiser.kernelAdvertiseWorks(JoolVersion(major: 4, minor: 1, revision: 10)))
        #expect(Advertiser.kernelAdvertiseWorks(JoolVersion(major: 4, minor: 1, revision: 11)))
        #expect(Advertiser.kernelAdvertiseWorks(.v4_1_15))
        #expect(Advertiser.recordsPerDatagram(.f1) * 140 <= SessionDatagram.maxSize)
        #expect(Advertiser.recordsPerDatagram(.f3) * 40 <= SessionDatagram.maxSize)
        #expect(Advertiser.Settings().sessionsPerSecond == 2000)
        #expect(AdvertiseRate.problem(0, field: "--rate") == "--rate must be a number of sessions per second from 1 to 100000, found 0")
        #expect(AdvertiseRate.problem(100_001, field: "x") != nil)
        #expect(AdvertiseRate.problem(1, field: "x") == nil && AdvertiseRate.problem(100_000, field: "x") == nil)
    }
}

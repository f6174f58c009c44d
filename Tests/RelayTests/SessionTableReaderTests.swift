import Glibc
import JoolSimulator
import JoolWire
import Netlink
@testable import Relay
import Testing

/// A table of `tcp` TCP, `udp` UDP and `icmp` ICMP sessions with distinct IPv4 pairs
/// spread over several src4 addresses and ports (so the kernel's order differs from
/// the order of creation), 10 minutes of lifetime each. dst6 is left to the simulator.
func sessionTable(tcp: Int, udp: Int, icmp: Int, expiration: UInt32 = 600_000) -> [Session] {
    func make(_ proto: Session.TransportProtocol, _ index: Int) -> Session {
        let client = UInt16(1000 + index)
        let opening = proto == .tcp && index % 4 == 1
        return Session(proto: proto, state: opening ? .v6Init : .established, timer: opening ? .transitory : .established,
                       src6: .init(address: IPv6Address(bytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 10)
                                                        + [UInt8(index >> 8), UInt8(index & 0xff)])!, port: client),
                       src4: .init(address: IPv4Address(bytes: [192, 0, 2, UInt8(1 + index % 3)])!, port: UInt16(60000 - index)),
                       dst4: .init(address: IPv4Address(bytes: [203, 0, 113, UInt8(index % 7)])!,
                                   port: proto == .icmp ? UInt16(60000 - index) : UInt16(80 + index % 5)),
                       expirationMilliseconds: expiration - UInt32(index))
    }
    return (0..<tcp).map { make(.tcp, $0) } + (0..<udp).map { make(.udp, $0) } + (0..<icmp).map { make(.icmp, $0) }
}

/// A simulated kernel and a kernel link to it, in-process.
struct KernelFixture {
    let kernel: SimulatedJool
    let link: KernelLink
    let requests: JoolRequestBuilder

    init(version: JoolVersion = .v4_1_9) throws {
        kernel = try SimulatedJool(path: "/tmp/joold-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock", version: version)
        link = KernelLink(channel: UnixKernelChannel(connected: try kernel.connect(), portID: 4242))
        try link.resolveFamily()
        requests = JoolRequestBuilder(familyID: link.family!.id, portID: 4242, instance: .default, version: version)
    }

    func stop() {
        link.close()
        kernel.stop()
    }
}

@Suite struct SessionTableReaderTests {
    @Test func readsEveryPageOfTheThreeProtocolsInTheKernelsOrder() throws {
        let fixture = try KernelFixture()
        defer { fixture.stop() }
        let table = sessionTable(tcp: 70, udp: 55, icmp: 3)
        fixture.kernel.setSessions(table.shuffled())
        fixture.kernel.setSessionsPerPage(10)
        let expected = fixture.kernel.sessions()
        #expect(expected.count == 128)
        #expect(expected.allSatisfy { $0.dst6 != nil })

        let reader = SessionTableReader(link: fixture.link, requests: fixture.requests)
        let read = try reader.readAll()
        #expect(read == expected)
        #expect(reader.isFinished && reader.sessionsRead == 128)
        // TCP: 7 full pages (the 7th without M: nothing follows), UDP 5 full + 5, ICMP 1.
        #expect(reader.pagesRead == 7 + 6 + 1)
        let asked = fixture.kernel.record.sessionForeaches
        #expect(asked.map(\.proto) == Array(repeating: .tcp, count: 7) + Array(repeating: .udp, count: 6) + [.icmp])
        #expect(asked.map(\.sessions) == Array(repeating: 10, count: 7) + [10, 10, 10, 10, 10, 5] + [3])
        #expect(asked.map(\.more) == Array(repeating: true, count: 6) + [false] + Array(repeating: true, count: 5) + [false, false])
        // Each request continues after the last session of the page before it.
        let tcp = expected.filter { $0.proto == .tcp }
        #expect(asked[0].offset == nil && asked[7].offset == nil && asked[13].offset == nil)
        for page in 1..<7 {
            #expect(asked[page].offset == SessionTableOffset(after: tcp[page * 10 - 1]))
        }
        #expect(try reader.nextPage() == nil)
    }

    @Test func recordsAreTheKernelsF1Records() throws {
        let fixture = try KernelFixture(version: .v4_1_15)
        defer { fixture.stop() }
        fixture.kernel.setSessions(sessionTable(tcp: 30, udp: 0, icmp: 30))
        let records = try SessionTableReader(link: fixture.link, requests: fixture.requests).readAllRecords()
        #expect(records.count == 60)
        #expect(records.allSatisfy { $0.count == 140 })
        #expect(try SessionCodec.decode(records.flatMap { $0 }, format: .f1) == fixture.kernel.sessions())
        // 26 per page by default: TCP 26 + 4, UDP empty, ICMP 26 + 4.
        #expect(fixture.kernel.record.sessionForeaches.map(\.sessions) == [26, 4, 0, 26, 4])
    }

    @Test func emptyTableIsThreeEmptyPages() throws {
        let fixture = try KernelFixture()
        defer { fixture.stop() }
        let reader = SessionTableReader(link: fixture.link, requests: fixture.requests)
        #expect(try reader.readAll() == [])
        #expect(reader.pagesRead == 3)
    }

    @Test func aSessionThatExpiresBetweenPagesDoesNotStopTheWalk() throws {
        let fixture = try KernelFixture()
        defer { fixture.stop() }
        fixture.kernel.setSessions(sessionTable(tcp: 25, udp: 0, icmp: 0))
        fixture.kernel.setSessionsPerPage(10)
        let all = fixture.kernel.sessions()
        let reader = SessionTableReader(link: fixture.link, requests: fixture.requests, protocols: [.tcp])
        let first = try #require(try reader.nextPage())
        #expect(first.sessions == Array(all[0..<10]) && first.more)
        // The offset's own session (and the next one) expire before the next page.
        fixture.kernel.setSessions(all.filter { $0 != all[9] && $0 != all[10] })
        let rest = try reader.readAll()
        #expect(rest == Array(all[11...]))
        #expect(reader.isFinished)
    }

    @Test func kernelErrorsSurface() throws {
        let fixture = try KernelFixture()
        defer { fixture.stop() }
        let elsewhere = JoolRequestBuilder(familyID: fixture.requests.familyID, portID: 4242,
                                           instance: try InstanceName("nowhere"), version: .v4_1_9)
        let reader = SessionTableReader(link: fixture.link, requests: elsewhere)
        #expect {
            try reader.readAll()
        } throws: { error in
            guard case let .kernel(_, kernelError)? = error as? KernelLinkError else { return false }
            return kernelError.code == ESRCH && kernelError.message.contains("nowhere")
        }
        #expect(!reader.isFinished)
    }

    /// The simulated kernel refuses what the real one refuses.
    @Test func simulatorRefusesMalformedForeachRequests() throws {
        let fixture = try KernelFixture()
        defer { fixture.stop() }
        func refusal(_ build: @escaping (UInt32) -> [UInt8]) -> KernelError? {
            do {
                _ = try fixture.link.request("foreach", build)
                return nil
            } catch {
                guard case let .kernel(_, kernelError) = error else { return nil }
                return kernelError
            }
        }
        func message(_ attributes: @escaping (inout NetlinkMessageWriter) -> Void) -> (UInt32) -> [UInt8] {
            { sequence in
                var writer = NetlinkMessageWriter(type: fixture.requests.familyID, flags: NetlinkConstants.flagRequest,
                                                  sequence: sequence, portID: 4242)
                writer.putGenericHeader(command: JoolNetlink.Command.sessionForeach.rawValue, version: 1)
                writer.putExtraHeader(JoolHeader(request: .default, version: .v4_1_9).encoded())
                attributes(&writer)
                return writer.bytes()
            }
        }
        let noProto = refusal(message { _ in })
        #expect(noProto?.origin == .jool && noProto?.code == EINVAL && noProto?.message == "The request is missing a transport protocol.")
        #expect(refusal(message { $0.putU8(type: JoolNetlink.RootAttribute.proto, 3) })?.code == EINVAL)
        // JNLAR_OFFSET without NLA_F_NESTED: the genetlink core's strict validation.
        let flat = refusal(message { writer in
            writer.putU8(type: JoolNetlink.RootAttribute.proto, 0)
            writer.putAttribute(type: JoolNetlink.RootAttribute.offset, payload: [])
        })
        #expect(flat?.origin == .netlink && flat?.code == EINVAL)
        // An offset address without its port: 4.1.9 would dereference NULL.
        _ = refusal(message { writer in
            writer.putU8(type: JoolNetlink.RootAttribute.proto, 0)
            let root = writer.beginNest(type: JoolNetlink.RootAttribute.offset)
            let src4 = writer.beginNest(type: JoolNetlink.SessionEntryAttribute.src4)
            writer.putAttribute(type: JoolNetlink.TransportAddressAttribute.address, payload: [192, 0, 2, 1])
            writer.endNest(at: src4)
            writer.endNest(at: root)
        })
        #expect(fixture.kernel.record.violations.count == 1)
        // What the builder writes is accepted.
        #expect(refusal { fixture.requests.sessionForeach(sequence: $0, proto: .icmp, after: SessionTableOffset(
            src4: .init(address: IPv4Address("192.0.2.1")!, port: 1), dst4: .init(address: IPv4Address("192.0.2.2")!, port: 1))) } == nil)
        #expect(fixture.kernel.record.violations.count == 1)
    }
}

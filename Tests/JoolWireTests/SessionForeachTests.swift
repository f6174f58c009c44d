@testable import JoolWire
@testable import Netlink
import Testing

/// `JNLOP_SESSION_FOREACH`: the request (protocol, offset) and the reply's pages.
@Suite struct SessionForeachTests {
    let builder = JoolRequestBuilder(familyID: 0x22, portID: 0x1234, instance: .default, version: .v4_1_9)

    /// UDP 2001:db8::8#40000 → 64:ff9b::c000:208#5000 as 192.0.2.1#61001 → 192.0.2.8#5000, 299 s left.
    let session = Session(proto: .udp, state: .established, timer: .established,
                          src6: .init(address: IPv6Address("2001:db8::8")!, port: 40000),
                          dst6: .init(address: IPv6Address("64:ff9b::c000:208")!, port: 5000),
                          src4: .init(address: IPv4Address("192.0.2.1")!, port: 61001),
                          dst4: .init(address: IPv4Address("192.0.2.8")!, port: 5000),
                          expirationMilliseconds: 299_000)

    /// `session` as `jnla_put_session(skb, JNLAL_ENTRY, …)` writes it on a ≥ 5.2 kernel.
    let record = hexBytes("""
        8c 00 01 80
        20 00 01 80  14 00 01 00  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 08  06 00 02 00 40 9c 00 00
        20 00 02 80  14 00 01 00  00 64 ff 9b 00 00 00 00 00 00 00 00 c0 00 02 08  06 00 02 00 88 13 00 00
        14 00 03 80  08 00 01 00 c0 00 02 01  06 00 02 00 49 ee 00 00
        14 00 04 80  08 00 01 00 c0 00 02 08  06 00 02 00 88 13 00 00
        05 00 05 00 01 00 00 00
        05 00 06 00 00 00 00 00
        05 00 07 00 00 00 00 00
        08 00 08 00 f8 8f 04 00
        """)

    static let defaultName = "64 65 66 61 75 6c 74 00 00 00 00 00 00 00 00 00"

    // MARK: - Request

    @Test func firstRequestCarriesOnlyTheProtocol() {
        #expect(builder.sessionForeach(sequence: 3, proto: .udp) == hexBytes("""
            38 00 00 00 22 00 01 00 03 00 00 00 34 12 00 00
            19 01 00 00 6a 6f 6f 6c 04 01 09 00 02 00 00 00
            \(Self.defaultName)
            05 00 0b 00 01 00 00 00
            """))
        for proto in Session.TransportProtocol.allCases {
            let bytes = builder.sessionForeach(sequence: 1, proto: proto)
            #expect(Array(bytes[48...]) == [5, 0, 11, 0, proto.rawValue, 0, 0, 0])
        }
    }

    @Test func continuationCarriesTheLastSessionsIPv4PairAsANestedOffset() {
        let bytes = builder.sessionForeach(sequence: 4, proto: .icmp, after: SessionTableOffset(after: session))
        #expect(bytes == hexBytes("""
            64 00 00 00 22 00 01 00 04 00 00 00 34 12 00 00
            19 01 00 00 6a 6f 6f 6c 04 01 09 00 02 00 00 00
            \(Self.defaultName)
            05 00 0b 00 02 00 00 00
            2c 00 08 80
              14 00 03 80  08 00 01 00 c0 00 02 01  06 00 02 00 49 ee 00 00
              14 00 04 80  08 00 01 00 c0 00 02 08  06 00 02 00 88 13 00 00
            """))
    }

    @Test func offsetFollowsTheKernelsTableOrder() {
        func offset(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16) -> SessionTableOffset {
            SessionTableOffset(src4: .init(address: IPv4Address(src)!, port: sport),
                               dst4: .init(address: IPv4Address(dst)!, port: dport))
        }
        // src4 address (as bytes), then src4 port, then dst4 address, then dst4 port.
        let ordered = [
            offset("10.0.0.1", 65535, "203.0.113.9", 9),
            offset("192.0.2.1", 1, "203.0.113.9", 9),
            offset("192.0.2.1", 2, "10.0.0.1", 65535),
            offset("192.0.2.1", 2, "10.0.0.2", 1),
            offset("192.0.2.1", 2, "10.0.0.2", 2),
            offset("192.0.2.255", 0, "0.0.0.0", 0),
        ]
        #expect(ordered.shuffled().sorted() == ordered)
        #expect(!(ordered[3] < ordered[3]))
        #expect(SessionTableOffset(after: session) == offset("192.0.2.1", 61001, "192.0.2.8", 5000))
    }

    // MARK: - Reply

    private func reply(flags: UInt8, sequence: UInt32 = 4, _ attributes: [UInt8]) throws -> NetlinkMessage {
        let header = JoolHeader(version: .v4_1_9, flags: flags, instanceName: "default")
        let bytes = kernelJoolMessage(sequence: sequence, portID: 0x1234, header: header) { writer in
            if !attributes.isEmpty { writer.putExtraHeader(attributes) }
        }
        return try #require(try NetlinkMessage.parseAll(bytes).first)
    }

    @Test func replyRecordsFollowTheHeaderAndTheMFlagAsksForMore() throws {
        var second = session
        second.src4.port = 61002
        second.src6.port = 40001
        let secondRecord = try SessionCodec.encode(second, format: .f1)
        let message = try reply(flags: JoolNetlink.HeaderFlags.more, record + secondRecord)
        #expect(message.length == 48 + 280)
        #expect(Array(message.payload[0..<4]) == [0, 2, 0, 0])
        let page = try SessionTablePage(decoding: message)
        #expect(page.sessions == [session, second])
        #expect(page.records == [record, secondRecord])
        #expect(page.more)
        #expect(page.nextOffset == SessionTableOffset(after: second))
        #expect(try SessionCodec.encode(session, format: .f1) == record, "the F1 encoder writes what the kernel writes")
    }

    @Test func lastPageAndEmptyTable() throws {
        let last = try SessionTablePage(decoding: try reply(flags: 0, record))
        #expect(last.sessions == [session] && !last.more)
        let empty = try SessionTablePage(decoding: try reply(flags: 0, []))
        #expect(empty.sessions.isEmpty && empty.records.isEmpty && !empty.more && empty.nextOffset == nil)
    }

    @Test func recordsInsideASessionContainerAreAcceptedToo() throws {
        var writer = NetlinkMessageWriter(type: 0, flags: 0, sequence: 0, portID: 0)
        writer.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested, payload: record)
        let page = try SessionTablePage(decoding: try reply(flags: 0, writer.bytesAfterHeader()))
        #expect(page.sessions == [session])
    }

    @Test func errorsAndNonsense() throws {
        let refused = kernelJoolMessage(sequence: 4, portID: 0x1234,
                                        header: JoolHeader(version: .v4_1_9, flags: JoolNetlink.HeaderFlags.error, instanceName: "default")) {
            $0.putU16(type: JoolNetlink.ErrorAttribute.code, 22)
            $0.putString(type: JoolNetlink.ErrorAttribute.message, "The request is missing a transport protocol.")
        }
        #expect(throws: JoolReplyError.kernel(KernelError(code: 22, message: "The request is missing a transport protocol.", origin: .jool))) {
            try SessionTablePage(decoding: try NetlinkMessage.parseAll(refused)[0])
        }
        // M without a session would make the reader ask the same question forever.
        #expect(throws: JoolReplyError.self) { try SessionTablePage(decoding: try reply(flags: JoolNetlink.HeaderFlags.more, [])) }
        // Another top-level attribute, and a record that is not F1.
        #expect(throws: JoolReplyError.self) { try SessionTablePage(decoding: try reply(flags: 0, [5, 0, 11, 0, 1, 0, 0, 0])) }
        let f3 = try SessionCodec.encode(session, format: .f3)
        #expect(throws: JoolReplyError.self) { try SessionTablePage(decoding: try reply(flags: 0, f3)) }
    }
}

@testable import JoolWire
@testable import Netlink
import Testing

@Suite struct RequestBuilderTests {
    let builder = JoolRequestBuilder(familyID: 0x22, portID: 0x1234, instance: .default, version: .v4_1_15)

    @Test func ackMatchesAppendixA1() {
        #expect(builder.ack(sequence: 1) == hexBytes("""
            30 00 00 00 22 00 01 00 01 00 00 00 34 12 00 00
            1d 01 00 00 6a 6f 6f 6c 04 01 0f 00 02 00 00 00
            64 65 66 61 75 6c 74 00 00 00 00 00 00 00 00 00
            """))
    }

    @Test func globalUpdateMatchesAppendixA3() throws {
        #expect(try builder.globalUpdate(sequence: 2, settings: [.enabled(true)]) == hexBytes("""
            3c 00 00 00 22 00 01 00 02 00 00 00 34 12 00 00
            09 01 00 00 6a 6f 6f 6c 04 01 0f 00 02 00 00 00
            64 65 66 61 75 6c 74 00 00 00 00 00 00 00 00 00
            0c 00 02 80 05 00 1b 00 01 00 00 00
            """))
    }

    @Test func globalUpdateEncodesU8AndU32() throws {
        let bytes = try builder.globalUpdate(sequence: 3, settings: [
            .enabled(false), .flushAsap(true), .flushDeadline(milliseconds: 2000), .capacity(512),
            .maxPayload(1452), .maxSessionsPerPacket(36),
        ])
        #expect(Array(bytes[48...]) == hexBytes("""
            34 00 02 80
            05 00 1b 00 00 00 00 00   05 00 1c 00 01 00 00 00
            08 00 1d 00 d0 07 00 00   08 00 1e 00 00 02 00 00
            08 00 1f 00 ac 05 00 00   08 00 20 00 24 00 00 00
            """))
        #expect(bytes.count == 48 + 52)
        #expect(throws: JoolRequestError.noSettings) { try builder.globalUpdate(sequence: 1, settings: []) }
    }

    @Test func addCarriesThePayloadVerbatimInOneContainer() throws {
        let record = F3SessionCodec.encode(exampleSession)
        let bytes = try builder.add(sequence: 7, sessionEntries: record)
        #expect(bytes.count == 48 + 4 + 40)
        #expect(Array(bytes[0..<4]) == [92, 0, 0, 0])
        #expect(bytes[16] == 27 && bytes[17] == 1)
        #expect(Array(bytes[48..<52]) == hexBytes("2c 00 07 80"))
        #expect(Array(bytes[52...]) == record)
    }

    @Test func addWithEmptyOrOddPayload() throws {
        let empty = try builder.add(sequence: 1, sessionEntries: [])
        #expect(Array(empty[48...]) == hexBytes("04 00 07 80"))
        let odd = try builder.add(sequence: 1, sessionEntries: [1, 2, 3])
        #expect(Array(odd[48...]) == hexBytes("07 00 07 80 01 02 03 00"))
        #expect(throws: JoolRequestError.payloadTooLarge(size: 65532, limit: 65531)) {
            try builder.add(sequence: 1, sessionEntries: [UInt8](repeating: 0, count: 65532))
        }
    }

    /// The relay's ADD (template, reused buffer) is byte for byte the writer's, whatever
    /// the payload size, the sequence, and after the family id changes.
    @Test func addIntoAReusedBufferMatchesTheWriter() throws {
        var reused: [UInt8] = []
        var changing = builder
        for (index, size) in [0, 1, 3, 40, 140, 1400, 2048, 7].enumerated() {
            if index == 5 { changing.familyID = 0x31 }
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
            let sequence = UInt32(1000 + index)
            try payload.withUnsafeBytes { try changing.add(sequence: sequence, sessionEntries: $0, into: &reused) }
            #expect(reused == (try changing.add(sequence: sequence, sessionEntries: payload)))
        }
        #expect(changing.ack(sequence: 77) == NetlinkAckReference.ack(changing, sequence: 77))
        #expect(throws: JoolRequestError.payloadTooLarge(size: 65532, limit: 65531)) {
            try [UInt8](repeating: 0, count: 65532).withUnsafeBytes { try builder.add(sequence: 1, sessionEntries: $0, into: &reused) }
        }
    }

    @Test func headerOnlyRequests() throws {
        let named = JoolRequestBuilder(familyID: 0x30, portID: 9, instance: try InstanceName("potato"), version: .v4_1_9)
        for (bytes, command) in [(named.advertise(sequence: 5), 28), (named.instanceHello(sequence: 5), 2),
                                 (named.globalForeach(sequence: 5), 8), (named.statsForeach(sequence: 5), 7)] {
            #expect(bytes.count == 48)
            #expect(bytes[4] == 0x30 && bytes[6] == 1 && bytes[7] == 0)
            #expect(bytes[8] == 5 && bytes[12] == 9)
            #expect(bytes[16] == UInt8(command) && bytes[17] == 1)
            #expect(Array(bytes[24..<28]) == [4, 1, 9, 0])
            #expect(try JoolHeader(decoding: bytes[20...]).instanceName == "potato")
        }
        let continued = named.globalForeach(sequence: 6, offset: 26)
        #expect(Array(continued[48...]) == hexBytes("05 00 09 00 1a 00 00 00"))
        #expect(continued.count == 56)
    }

    @Test func getFamilyRequest() {
        #expect(GenericFamilyRequest.getFamily(sequence: 1, portID: 0) == hexBytes("""
            20 00 00 00 10 00 01 00 01 00 00 00 00 00 00 00
            03 01 00 00 09 00 02 00 4a 6f 6f 6c 00 00 00 00
            """))
    }
}

/// An ACK built the long way (writer and Jool header), to check the template.
enum NetlinkAckReference {
    static func ack(_ builder: JoolRequestBuilder, sequence: UInt32) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: builder.familyID, flags: NetlinkConstants.flagRequest,
                                          sequence: sequence, portID: builder.portID)
        writer.putGenericHeader(command: JoolNetlink.Command.jooldAck.rawValue, version: JoolNetlink.requestGenlVersion)
        writer.putExtraHeader(JoolHeader(request: builder.instance, version: builder.version).encoded())
        return writer.bytes()
    }
}

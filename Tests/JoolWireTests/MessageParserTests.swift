@testable import JoolWire
@testable import Netlink
import Testing

@Suite struct MessageParserTests {
    let builder = JoolRequestBuilder(familyID: 0x22, portID: 0x1234, instance: .default, version: .v4_1_15)

    /// docs/jool-kernel-protocol.md, Appendix A.2: a kernel multicast carrying one F3 session.
    let appendixA2 = hexBytes("""
        5c 00 00 00 22 00 00 00 00 00 00 00 00 00 00 00
        00 02 00 00 6a 6f 6f 6c 04 01 0f 00 02 00 00 00
        64 65 66 61 75 6c 74 00 00 00 00 00 00 00 00 00
        2c 00 07 80 28 00 01 00 20 01 0d b8 00 00 00 00
        00 00 00 00 00 00 00 08 c0 00 02 01 c0 00 02 08
        00 6d d9 18 93 f6 f5 55 04 d2 00 00
        """)

    @Test func splitsSeveralMessages() throws {
        let buffer = builder.ack(sequence: 1) + builder.advertise(sequence: 2) + appendixA2
        let messages = try NetlinkMessage.parseAll(buffer)
        #expect(messages.count == 3)
        #expect(messages.map(\.sequence) == [1, 2, 0])
        #expect(messages[0].type == 0x22 && messages[0].flags == 1 && messages[0].portID == 0x1234)
        #expect(messages[0].payload.count == 32)
        let generic = try messages[1].genericMessage()
        #expect(generic.command == 28 && generic.version == 1 && generic.payload.count == 28)
        let jool = try JoolMessage(messages[2])
        #expect(jool.command == 0 && jool.genlVersion == 2)
        #expect(jool.header.version == .v4_1_15 && jool.header.instanceName == "default")
        #expect(jool.attributes.count == 1 && jool.attributes[0].rawType == 0x8007 && jool.attributes[0].type == 7)
    }

    @Test func keepsCompleteMessagesBeforeATruncatedOne() throws {
        let buffer = builder.ack(sequence: 1) + appendixA2.prefix(60)
        let (messages, error) = NetlinkMessage.split(buffer)
        #expect(messages.count == 1)
        #expect(error == .truncatedMessage(offset: 48, declaredLength: 92, available: 60))
        #expect(throws: NetlinkParseError.self) { try NetlinkMessage.parseAll(buffer) }
        let short = NetlinkMessage.split(builder.ack(sequence: 1) + [1, 2, 3, 4, 5])
        #expect(short.messages.count == 1)
        #expect(short.error == .truncatedMessage(offset: 48, declaredLength: nil, available: 5))
        var zeroLength = appendixA2
        zeroLength[0] = 0
        #expect(NetlinkMessage.split(zeroLength).error == .badMessageLength(offset: 0, declaredLength: 0))
        #expect(NetlinkMessage.split([]).messages.isEmpty && NetlinkMessage.split([]).error == nil)
        // libmnl's mnl_nlmsg_ok casts nlmsg_len to int: 0xfffffff0 must not pass as "fits".
        var huge = appendixA2
        huge.replaceSubrange(0..<4, with: [0xf0, 0xff, 0xff, 0xff])
        #expect(NetlinkMessage.split(huge).messages.isEmpty)
        #expect(NetlinkMessage.split(huge).error == .truncatedMessage(offset: 0, declaredLength: 0xffff_fff0, available: 92))
    }

    @Test func toleratesAMissingFinalPadding() throws {
        let odd = try builder.add(sequence: 1, sessionEntries: [1, 2, 3])
        var unpadded = Array(odd.prefix(55))
        unpadded[0] = 55
        let messages = try NetlinkMessage.parseAll(unpadded)
        #expect(messages.count == 1)
        #expect(try JoolMessage(messages[0]).attributes[0].payload == [1, 2, 3])
    }

    @Test func decodesNetlinkErrorsAndAcks() throws {
        let request = builder.ack(sequence: 9)
        func errorMessage(_ errno: Int32, flags: UInt16 = 0, tail: [UInt8] = []) -> [UInt8] {
            var writer = NetlinkMessageWriter(type: 2, flags: flags, sequence: 9, portID: 0x1234)
            writer.putExtraHeader(withUnsafeBytes(of: -errno) { Array($0) } + Array(request.prefix(16)))
            var bytes = writer.bytes()
            if !tail.isEmpty {
                bytes += tail
                bytes[0] = UInt8(bytes.count)
            }
            return bytes
        }
        let ack = try NetlinkMessage.parseAll(errorMessage(0))[0]
        #expect(ack.isError)
        #expect(try ack.errorReport() == NetlinkErrorReport(errno: 0, extendedMessage: nil))
        #expect(try ack.errorReport().isAcknowledgement)
        #expect(try ack.errorReport().kernelError == nil)

        let failure = try NetlinkMessage.parseAll(errorMessage(22))[0].errorReport()
        #expect(failure.errno == 22 && !failure.isAcknowledgement)
        #expect(failure.kernelError == KernelError(code: 22, message: "Invalid argument", origin: .netlink))

        // NLM_F_CAPPED | NLM_F_ACK_TLVS with NLMSGERR_ATTR_MSG.
        let text = Array("NLA_F_NESTED is missing".utf8) + [0]
        let tlv = [UInt8(4 + text.count), 0, 1, 0] + text
        let extack = try NetlinkMessage.parseAll(errorMessage(22, flags: 0x300, tail: tlv))[0].errorReport()
        #expect(extack.extendedMessage == "NLA_F_NESTED is missing")
        #expect(extack.kernelError?.message == "NLA_F_NESTED is missing")

        let truncated = NetlinkMessage(length: 18, type: 2, flags: 0, sequence: 0, portID: 0, payload: [1, 2])
        #expect(throws: NetlinkParseError.tooShort(length: 2, needed: 4, context: "NLMSG_ERROR payload")) {
            try truncated.errorReport()
        }
        #expect(throws: NetlinkParseError.self) { try ack.genericMessage() }
    }

    @Test func decodesNewFamily() throws {
        var writer = NetlinkMessageWriter(type: 0x10, flags: 0, sequence: 1, portID: 77)
        writer.putGenericHeader(command: 1, version: 2)
        writer.putString(type: 2, "Jool")
        writer.putU16(type: 1, 0x22)
        writer.putU32(type: 3, 2)
        writer.putU32(type: 4, 28)
        writer.putU32(type: 5, 13)
        let groups = writer.beginNest(type: 7)
        let first = writer.beginNest(type: 1)
        writer.putU32(type: 2, 9)
        writer.putString(type: 1, "joold")
        writer.endNest(at: first)
        let second = writer.beginNest(type: 2)
        writer.putString(type: 1, "other")
        writer.putU32(type: 2, 10)
        writer.endNest(at: second)
        writer.endNest(at: groups)
        let message = try NetlinkMessage.parseAll(writer.bytes())[0]
        let info = try GenericFamilyInfo(decoding: message)
        #expect(info == GenericFamilyInfo(id: 0x22, name: "Jool", version: 2, headerSize: 28, maxAttribute: 13,
                                          multicastGroups: ["joold": 9, "other": 10]))
        #expect(info.jooldGroupID == 9)
    }

    @Test func newFamilyErrors() throws {
        var writer = NetlinkMessageWriter(type: 2, flags: 0, sequence: 1, portID: 0)
        writer.putExtraHeader(withUnsafeBytes(of: Int32(-2)) { Array($0) } + [UInt8](repeating: 0, count: 16))
        let absent = try NetlinkMessage.parseAll(writer.bytes())[0]
        #expect(throws: JoolReplyError.kernel(KernelError(code: 2, message: "No such file or directory", origin: .netlink))) {
            try GenericFamilyInfo(decoding: absent)
        }
        var noID = NetlinkMessageWriter(type: 0x10, flags: 0, sequence: 1, portID: 0)
        noID.putGenericHeader(command: 1, version: 2)
        noID.putString(type: 2, "Jool")
        #expect(throws: JoolReplyError.malformed(.missingAttribute(type: 1, context: "nlctrl reply"))) {
            try GenericFamilyInfo(decoding: try NetlinkMessage.parseAll(noID.bytes())[0])
        }
        var badID = NetlinkMessageWriter(type: 0x10, flags: 0, sequence: 1, portID: 0)
        badID.putGenericHeader(command: 1, version: 2)
        badID.putU32(type: 1, 0x22)
        #expect(throws: JoolReplyError.self) { try GenericFamilyInfo(decoding: try NetlinkMessage.parseAll(badID.bytes())[0]) }
        let jool = try NetlinkMessage.parseAll(builder.ack(sequence: 1))[0]
        #expect(throws: JoolReplyError.malformed(.unexpectedMessageType(0x22, expected: "nlctrl (16)"))) {
            try GenericFamilyInfo(decoding: jool)
        }
    }

    @Test func decodesTheAppendixA2Multicast() throws {
        let message = try NetlinkMessage.parseAll(appendixA2)[0]
        let packet = try KernelSessionPacket(decoding: message, expecting: .v4_1_9, instance: .default)
        #expect(packet.instanceName == "default")
        #expect(packet.header.version == .v4_1_15)
        #expect(packet.payload == Array(appendixA2[52...]))
        #expect(try SessionCodec.decode(packet.payload, format: .f3) == [exampleSession])
        let anyInstance = try KernelSessionPacket(decoding: message, expecting: .v4_1_15, instance: nil)
        #expect(anyInstance == packet)
    }

    /// The relay's in-place reading of a session packet gives the decoder's payload, and
    /// never accepts what the decoder refuses or relays differently: every single-byte
    /// change of the header part of a multicast is tried, for two instance names.
    @Test func inPlacePayloadAgreesWithTheDecoder() throws {
        let potato = try InstanceName("potato")
        for instance in [InstanceName.default, potato] {
            let original = kernelJoolMessage(header: JoolHeader(version: .v4_1_15, instanceName: instance.value)) {
                $0.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested,
                                payload: Array(appendixA2[52...]))
            }
            var fastAccepted = 0
            for offset in 0..<56 {
                for value: UInt8 in [0, 1, 2, 4, 7, 0x10, 0x22, 0x80, 0xff, original[offset] ^ 1, original[offset]] {
                    var bytes = original
                    bytes[offset] = value
                    let fast = bytes.withUnsafeBytes {
                        KernelSessionPacket.payloadInPlace($0, expecting: .v4_1_15, instance: instance).map(Array.init)
                    }
                    guard let fast else { continue }
                    fastAccepted += 1
                    let message = NetlinkMessage.split(bytes).messages.first
                    let slow = message.flatMap { try? KernelSessionPacket(decoding: $0, expecting: .v4_1_15, instance: instance) }
                    #expect(slow?.payload == fast, "offset \(offset) value \(value)")
                    #expect(message?.sequence == 0 && message?.portID == 0)
                }
            }
            #expect(fastAccepted > 11)   // at least the unchanged message, and free fields
        }
        // Another version, another instance, a reply, a packet larger than a datagram: not in place.
        let other = try InstanceName("other")
        let large = kernelJoolMessage(header: JoolHeader(version: .v4_1_15, instanceName: "default")) {
            $0.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries, payload: [UInt8](repeating: 0, count: 2052))
        }
        let reply = kernelJoolMessage(sequence: 5, portID: 9, header: JoolHeader(version: .v4_1_15, instanceName: "default")) {
            $0.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries, payload: [0, 0, 0, 0])
        }
        for (bytes, version, instance) in [(appendixA2, JoolVersion(major: 4, minor: 2, revision: 0), InstanceName.default), (appendixA2, .v4_1_15, other),
                                           (large, .v4_1_15, .default), (reply, .v4_1_15, .default)] {
            #expect(bytes.withUnsafeBytes { KernelSessionPacket.payloadInPlace($0, expecting: version, instance: instance) } == nil)
        }
        #expect(appendixA2.withUnsafeBytes { KernelSessionPacket.payloadInPlace($0, expecting: .v4_1_15, instance: .default) }
            .map(Array.init) == Array(appendixA2[52...]))
    }

    @Test func sessionMulticastRejections() throws {
        func decode(_ bytes: [UInt8], instance: InstanceName? = .default) throws(KernelSessionPacketError) {
            guard let message = NetlinkMessage.split(bytes).messages.first else { throw .notJool(messageType: 0) }
            _ = try KernelSessionPacket(decoding: message, expecting: .v4_1_15, instance: instance)
        }
        let other = try InstanceName("other")
        #expect(throws: KernelSessionPacketError.otherInstance("default")) { try decode(appendixA2, instance: other) }
        #expect(!KernelSessionPacketError.otherInstance("default").warrantsAck)

        var garbageName = appendixA2
        garbageName.replaceSubrange(40..<48, with: [0x7a, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06])
        try decode(garbageName)

        var badMagic = appendixA2
        badMagic[20] = 0x4a
        #expect(throws: KernelSessionPacketError.invalidHeader(.badMagic([0x4a, 0x6f, 0x6f, 0x6c]))) { try decode(badMagic) }

        var oldVersion = appendixA2
        oldVersion[24] = 3
        let version = JoolVersion(major: 3, minor: 1, revision: 15)
        #expect(throws: KernelSessionPacketError.invalidHeader(.incompatibleVersion(found: version, expected: .v4_1_15))) {
            try decode(oldVersion)
        }
        var siit = appendixA2
        siit[28] = 1
        #expect(throws: KernelSessionPacketError.invalidHeader(.notNAT64(translatorType: 1))) { try decode(siit) }
        #expect(KernelSessionPacketError.invalidHeader(.notNAT64(translatorType: 1)).warrantsAck)

        var otherFirst = appendixA2
        otherFirst[50] = 2
        #expect(throws: KernelSessionPacketError.missingSessionContainer(firstAttributeType: 2)) { try decode(otherFirst) }
        let headerOnly = Array(appendixA2.prefix(48))
        var headerOnlyFixed = headerOnly
        headerOnlyFixed[0] = 48
        #expect(throws: KernelSessionPacketError.missingSessionContainer(firstAttributeType: nil)) { try decode(headerOnlyFixed) }

        var shortContainer = appendixA2
        shortContainer[48] = 0x40
        #expect(throws: KernelSessionPacketError.malformed(.truncatedAttribute(type: 7, declaredLength: 64, available: 44))) {
            try decode(shortContainer)
        }
        var tooShort = Array(appendixA2.prefix(40))
        tooShort[0] = 40
        #expect(throws: KernelSessionPacketError.invalidHeader(.tooShort(length: 20))) { try decode(tooShort) }

        let errorReply = kernelJoolMessage(header: JoolHeader(version: .v4_1_15, flags: 1, instanceName: "default")) {
            $0.putU16(type: 1, 3)
            $0.putString(type: 2, "This namespace lacks an instance named 'default'.")
        }
        let expected = KernelError(code: 3, message: "This namespace lacks an instance named 'default'.", origin: .jool)
        #expect(throws: KernelSessionPacketError.errorReply(expected)) { try decode(errorReply) }
        #expect(!KernelSessionPacketError.errorReply(expected).warrantsAck)
    }

    @Test func decodesJoolErrorReplies() throws {
        let header = JoolHeader(version: .v4_1_15, flags: 1, instanceName: "default")
        let full = try JoolMessage(try NetlinkMessage.parseAll(kernelJoolMessage(header: header) {
            $0.putU16(type: 1, 22)
            $0.putString(type: 2, "Session sync is disabled on this instance.")
        })[0])
        let error = try #require(try full.kernelError())
        #expect(error.code == 22 && error.message == "Session sync is disabled on this instance.")
        #expect(error.description == "The kernel module returned error 22: Session sync is disabled on this instance.")

        let noCode = try JoolMessage(try NetlinkMessage.parseAll(kernelJoolMessage(header: header) {
            $0.putString(type: 2, "oops")
        })[0])
        #expect(try noCode.kernelError() == KernelError(code: 22, message: "oops", origin: .jool))

        let noMessage = try JoolMessage(try NetlinkMessage.parseAll(kernelJoolMessage(header: header) {
            $0.putU16(type: 1, 3)
        })[0])
        #expect(try noMessage.kernelError() == KernelError(code: 3, message: "No such process", origin: .jool))

        let badCode = try JoolMessage(try NetlinkMessage.parseAll(kernelJoolMessage(header: header) {
            $0.putU32(type: 1, 3)
        })[0])
        #expect(throws: NetlinkParseError.wrongAttributeLength(type: 1, expected: "2 bytes (u16)", actual: 4)) {
            try badCode.kernelError()
        }
        let success = try JoolMessage(try NetlinkMessage.parseAll(kernelJoolMessage(header: JoolHeader(
            version: .v4_1_15, instanceName: "default")))[0])
        #expect(try success.kernelError() == nil)
        #expect(try JoolReply.parse(success.netlink) == success)
        #expect(throws: JoolReplyError.kernel(error)) { try JoolReply.parse(full.netlink) }
    }

    @Test func decodesGlobals() throws {
        let header = JoolHeader(version: .v4_1_15, flags: 0x08, instanceName: "default")
        let bytes = kernelJoolMessage(header: header) { writer in
            let pool6 = writer.beginNest(type: 2)
            writer.putAttribute(type: 1, payload: IPv6Address("64:ff9b::")!.bytes)
            writer.putU8(type: 2, 96)
            writer.endNest(at: pool6)
            writer.putU8(type: 27, 1)
            writer.putU8(type: 28, 0)
            writer.putU32(type: 29, 2000)
            writer.putU32(type: 30, 512)
            writer.putU32(type: 31, 1452)
            writer.putU32(type: 32, 36)
        }
        let globals = try GlobalsSnapshot(decoding: try NetlinkMessage.parseAll(bytes)[0])
        #expect(globals.ssEnabled == true)
        #expect(globals.pool6 == .some(IPv6Prefix(address: IPv6Address("64:ff9b::")!, length: 96)))
        #expect(globals.pool6??.description == "64:ff9b::/96")
        #expect(globals.ssFlushDeadline == 2000 && globals.ssCapacity == 512)
        #expect(globals.ssMaxPayload == 1452 && globals.ssMaxSessionsPerPacket == 36)
        #expect(globals.more && globals.lastID == 32)

        let unset = kernelJoolMessage(header: JoolHeader(version: .v4_1_9, instanceName: "default")) { writer in
            let pool6 = writer.beginNest(type: 2)
            writer.putU8(type: 2, 0)
            writer.endNest(at: pool6)
            writer.putU8(type: 27, 0)
        }
        let plain = try GlobalsSnapshot(decoding: try NetlinkMessage.parseAll(unset)[0])
        #expect(plain.ssEnabled == false && plain.pool6 == .some(nil) && !plain.more)
        #expect(plain.ssMaxSessionsPerPacket == nil)

        let wrongSize = kernelJoolMessage(header: JoolHeader(version: .v4_1_9, instanceName: "default")) {
            $0.putU32(type: 27, 1)
        }
        #expect(throws: JoolReplyError.malformed(.wrongAttributeLength(type: 27, expected: "1 bytes (u8)", actual: 4))) {
            try GlobalsSnapshot(decoding: try NetlinkMessage.parseAll(wrongSize)[0])
        }
    }

    @Test func decodesInstanceHello() throws {
        func reply(_ build: @escaping (inout NetlinkMessageWriter) -> Void) throws -> NetlinkMessage {
            try NetlinkMessage.parseAll(kernelJoolMessage(header: JoolHeader(version: .v4_1_15, instanceName: "x"),
                                                          attributes: build))[0]
        }
        #expect(try InstanceStatus(decoding: reply { $0.putU8(type: 1, 0) }) == .alive)
        #expect(try InstanceStatus(decoding: reply { $0.putU8(type: 1, 1) }) == .absent)
        #expect(throws: JoolReplyError.self) { try InstanceStatus(decoding: reply { $0.putU8(type: 1, 7) }) }
        #expect(throws: JoolReplyError.malformed(.missingAttribute(type: 1, context: "INSTANCE_HELLO reply"))) {
            try InstanceStatus(decoding: reply { _ in })
        }
        let denied = try NetlinkMessage.parseAll(kernelJoolMessage(
            header: JoolHeader(version: .v4_1_15, flags: 1, instanceName: "x")) { $0.putU16(type: 1, 1) })[0]
        #expect(throws: JoolReplyError.kernel(KernelError(code: 1, message: "Operation not permitted", origin: .jool))) {
            try InstanceStatus(decoding: denied)
        }
    }

    @Test func attributeSequenceErrors() throws {
        #expect(throws: NetlinkParseError.trailingBytes(count: 2, context: "t")) {
            try NetlinkAttribute.parseSequence([5, 0, 1, 0, 9, 0, 0, 0, 1, 2], context: "t")
        }
        #expect(throws: NetlinkParseError.badAttributeLength(declaredLength: 2)) {
            try NetlinkAttribute.parseSequence([2, 0, 1, 0], context: "t")
        }
        #expect(throws: NetlinkParseError.truncatedAttribute(type: 1, declaredLength: 9, available: 8)) {
            try NetlinkAttribute.parseSequence([9, 0, 1, 0, 1, 2, 3, 4], context: "t")
        }
        #expect(try NetlinkAttribute.parseSequence([4, 0, 1, 0, 5, 0, 2, 0, 7], context: "t").count == 2)
    }
}

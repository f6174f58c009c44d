@testable import JoolWire
import Testing

@Suite struct JoolHeaderTests {
    @Test func encodesTwentyEightBytes() throws {
        let header = JoolHeader(request: try InstanceName("default"), version: .v4_1_15)
        #expect(header.encoded() == hexBytes("""
            6a 6f 6f 6c 04 01 0f 00 02 00 00 00
            64 65 66 61 75 6c 74 00 00 00 00 00 00 00 00 00
            """))
    }

    @Test func decodesAndIgnoresGarbageAfterTheNameNUL() throws {
        var bytes = JoolHeader(version: .v4_1_9, instanceName: "blue").encoded()
        bytes.replaceSubrange(17..<28, with: [0x41, 0x42, 0x43, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07])
        let header = try JoolHeader(decoding: bytes)
        #expect(header.instanceName == "blue")
        #expect(header.version == .v4_1_9)
        #expect(header.translatorType == 2)
        #expect(header.isAddressed(to: try InstanceName("blue")))
        #expect(!header.isAddressed(to: try InstanceName("Blue")))
    }

    @Test func rejectsBadMagic() {
        var bytes = JoolHeader(version: .v4_1_15, instanceName: "default").encoded()
        bytes[0] = 0x4a
        #expect(throws: JoolHeaderError.badMagic([0x4a, 0x6f, 0x6f, 0x6c])) { try JoolHeader(decoding: bytes) }
        #expect(JoolHeaderError.badMagic([0x4a, 0x6f, 0x6f, 0x6c]).description.contains("magic"))
    }

    @Test func rejectsShortAndUnterminated() {
        let bytes = JoolHeader(version: .v4_1_15, instanceName: "default").encoded()
        #expect(throws: JoolHeaderError.tooShort(length: 27)) { try JoolHeader(decoding: bytes.prefix(27)) }
        var unterminated = bytes
        unterminated.replaceSubrange(12..<28, with: repeatElement(0x61, count: 16))
        #expect(throws: JoolHeaderError.unterminatedName) { try JoolHeader(decoding: unterminated) }
    }

    @Test func validatesVersionAndTranslatorType() throws {
        let good = JoolHeader(version: .v4_1_9, instanceName: "default")
        try good.validate(expecting: .v4_1_15)
        let newer = JoolHeader(version: JoolVersion(major: 4, minor: 2, revision: 0), instanceName: "default")
        #expect(throws: JoolHeaderError.incompatibleVersion(found: newer.version, expected: .v4_1_15)) {
            try newer.validate(expecting: .v4_1_15)
        }
        let siit = JoolHeader(version: .v4_1_15, translatorType: 1, instanceName: "default")
        #expect(throws: JoolHeaderError.notNAT64(translatorType: 1)) { try siit.validate(expecting: .v4_1_15) }
        let any = JoolHeader(version: .v4_1_15, translatorType: 3, instanceName: "default")
        try any.validate(expecting: .v4_1_15)
        let error = JoolHeaderError.incompatibleVersion(found: newer.version, expected: .v4_1_15)
        #expect(error.description.contains("4.2.0.0"))
    }

    @Test func flags() {
        var header = JoolHeader(version: .v4_1_15, flags: 0x09, instanceName: "x")
        #expect(header.isError && header.hasMore)
        header.flags = 0
        #expect(!header.isError && !header.hasMore)
    }

    @Test func instanceNames() throws {
        #expect(try InstanceName("a").value == "a")
        #expect(try InstanceName("123456789012345").headerBytes.count == 16)
        #expect(throws: InstanceNameError.empty) { try InstanceName("") }
        #expect(throws: InstanceNameError.tooLong("1234567890123456", length: 16)) { try InstanceName("1234567890123456") }
        #expect(throws: InstanceNameError.invalidCharacter("a\tb", byte: 9)) { try InstanceName("a\tb") }
        #expect(throws: InstanceNameError.invalidCharacter("a\u{7f}", byte: 0x7f)) { try InstanceName("a\u{7f}") }
        #expect(throws: InstanceNameError.self) { try InstanceName("né") }
        #expect(try InstanceName(" ~").value == " ~")
    }
}

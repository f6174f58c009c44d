@testable import JoolWire
import Testing

@Suite struct SessionCodecTests {
    /// The F3 example of docs/jool-kernel-protocol.md §11.4.
    let f3Example = hexBytes("""
        28 00 01 00  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 08
        c0 00 02 01  c0 00 02 08  00 6d d9 18  93 f6  f5 55  04 d2  00 00
        """)

    var f1Session: Session {
        var session = exampleSession
        session.dst6 = .init(address: IPv6Address("64:ff9b::c000:208")!, port: 1234)
        return session
    }

    @Test func decodesTheF3Example() throws {
        let sessions = try SessionCodec.decode(f3Example, format: .f3)
        #expect(sessions == [exampleSession])
        #expect(sessions[0].dst6 == nil)
    }

    @Test func encodesTheF3Example() throws {
        #expect(try SessionCodec.encode(exampleSession, format: .f3) == f3Example)
    }

    @Test func f3PackedWordRoundTrips() throws {
        for proto in Session.TransportProtocol.allCases {
            for state in Session.TCPState.allCases {
                for timer in Session.TimerType.allCases {
                    var session = exampleSession
                    session.proto = proto
                    session.state = state
                    session.timer = timer
                    session.dst6 = nil
                    let record = try SessionCodec.encode(session, format: .f3)
                    #expect(record.count == 40)
                    #expect(try SessionCodec.decode(record + record, format: .f3) == [session, session])
                }
            }
        }
    }

    @Test func f3RejectsBadRecords() throws {
        var highBits = f3Example
        highBits[38] = 0x01
        #expect(throws: SessionCodecError.self) { try SessionCodec.decode(highBits, format: .f3) }
        var proto3 = f3Example
        proto3[39] = 0x60
        #expect(throws: SessionCodecError.fieldOutOfRange(record: 0, field: "proto", value: 3)) {
            try SessionCodec.decode(proto3, format: .f3)
        }
        var timer3 = f3Example
        timer3[39] = 0x03
        #expect(throws: SessionCodecError.fieldOutOfRange(record: 0, field: "timer", value: 3)) {
            try SessionCodec.decode(timer3, format: .f3)
        }
        var state7 = f3Example
        state7[39] = 0x1c
        #expect(throws: SessionCodecError.fieldOutOfRange(record: 0, field: "TCP state", value: 7)) {
            try SessionCodec.decode(state7, format: .f3)
        }
        #expect(throws: SessionCodecError.malformed(.truncatedAttribute(type: 1, declaredLength: 40, available: 39))) {
            try SessionCodec.decode(Array(f3Example.prefix(39)), format: .f3)
        }
        var short = Array(f3Example.prefix(36))
        short[0] = 36
        #expect(throws: SessionCodecError.wrongRecordLength(record: 0, expected: 36, actual: 32)) {
            try SessionCodec.decode(short, format: .f3)
        }
        #expect(try SessionCodec.decode([], format: .f3).isEmpty)
    }

    @Test func f1RoundTripsAndHasTheKernelLayout() throws {
        let record = try SessionCodec.encode(f1Session, format: .f1)
        #expect(record.count == 140)
        #expect(Array(record.prefix(16)) == hexBytes("8c 00 01 80 20 00 01 80 14 00 01 00 20 01 0d b8"))
        #expect(try SessionCodec.decode(record, format: .f1) == [f1Session])
        // Offsets of docs/jool-kernel-protocol.md §11.2.
        #expect(Array(record[36..<40]) == hexBytes("20 00 02 80"))
        #expect(Array(record[68..<72]) == hexBytes("14 00 03 80"))
        #expect(Array(record[72..<84]) == hexBytes("08 00 01 00 c0 00 02 01 06 00 02 00"))
        #expect(Array(record[84..<88]) == hexBytes("55 f5 00 00"))
        #expect(Array(record[88..<92]) == hexBytes("14 00 04 80"))
        #expect(Array(record[108..<140]) == hexBytes("""
            05 00 05 00 00 00 00 00  05 00 06 00 00 00 00 00  05 00 07 00 00 00 00 00
            08 00 08 00 18 d9 6d 00
            """))
        try DatagramValidator(format: .f1).validate(record)
    }

    @Test func f1DecodesWithoutNestedFlags() throws {
        var record = try SessionCodec.encode(f1Session, format: .f1)
        for offset in [3, 7, 39, 71, 91] { record[offset] = 0 }
        #expect(try SessionCodec.decode(record, format: .f1) == [f1Session])
    }

    @Test func f1WithoutDst6() throws {
        var session = f1Session
        session.dst6 = nil
        #expect(throws: SessionCodecError.missingDst6) { try SessionCodec.encode(session, format: .f1) }
    }

    @Test func f1DecodeNeedsEveryMandatoryField() throws {
        let record = try SessionCodec.encode(f1Session, format: .f1)
        var noPort = record
        noPort[30] = 9 // PORT → unknown type 9
        #expect(throws: SessionCodecError.missingField(record: 0, field: "src6 port")) {
            try SessionCodec.decode(noPort, format: .f1)
        }
        var badProto = record
        badProto[112] = 3
        #expect(throws: SessionCodecError.fieldOutOfRange(record: 0, field: "proto", value: 3)) {
            try SessionCodec.decode(badProto, format: .f1)
        }
        var noExpiration = record
        noExpiration[134] = 9
        #expect(throws: SessionCodecError.missingField(record: 0, field: "expiration")) {
            try SessionCodec.decode(noExpiration, format: .f1)
        }
    }

    @Test func decodesF2() throws {
        var blob = IPv6Address("2001:db8::8")!.bytes + IPv6Address("64:ff9b::c000:208")!.bytes
        blob += IPv4Address("192.0.2.1")!.bytes
        blob.appendBigEndian(UInt32(7_199_000))
        blob.appendBigEndian(UInt16(37878))
        blob.appendBigEndian(UInt16(1234))
        blob.appendBigEndian(UInt16(62805))
        blob.appendBigEndian(UInt16(0))
        let record = [52, 0, 1, 0] + blob
        #expect(try SessionCodec.decode(record, format: .f2) == [f1Session])
        try DatagramValidator(format: .f2).validate(record)
    }

    @Test func csvLineLikeSessionFollow() {
        #expect(SessionCSV.line(exampleSession) == "TCP,2001:db8::8,37878,192.0.2.1,62805,192.0.2.8,1234,1:59:59")
        #expect(SessionCSV.line(exampleSession, expiration: .milliseconds)
            == "TCP,2001:db8::8,37878,192.0.2.1,62805,192.0.2.8,1234,7199000")
        var icmp = exampleSession
        icmp.proto = .icmp
        icmp.expirationMilliseconds = 59_005
        icmp.src6.address = IPv6Address("2001:db8:0:0:1:0:0:1")!
        #expect(SessionCSV.line(icmp) == "ICMP,2001:db8::1:0:0:1,37878,192.0.2.1,62805,192.0.2.8,1234,0:00:59.005")
        #expect(SessionCSV.joolTimeout(milliseconds: 0) == "0:00:00")
        #expect(SessionCSV.joolTimeout(milliseconds: 86_400_120) == "24:00:00.120")
        #expect(SessionCSV.joolTimeout(milliseconds: UInt32.max) == "1193:02:47.295")
        var udp = exampleSession
        udp.proto = .udp
        #expect(SessionCSV.line(udp).hasPrefix("UDP,"))
    }

    @Test func addresses() {
        #expect(IPv4Address("233.252.0.64")?.isMulticast == true)
        #expect(IPv4Address("192.0.2.1")?.isMulticast == false)
        #expect(IPv6Address("ff08::db8:64:64")?.isMulticast == true)
        #expect(IPv6Address("2001:0db8:0000::0001")?.description == "2001:db8::1")
        #expect(IPv4Address("1.2.3") == nil && IPv6Address("1.2.3.4") == nil && IPv4Address("::1") == nil)
        #expect(IPv4Address(bytes: [1, 2, 3]) == nil && IPv6Address(bytes: [UInt8](repeating: 0, count: 15)) == nil)
    }
}

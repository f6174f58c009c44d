@testable import JoolWire
import Testing

@Suite struct DatagramValidatorTests {
    let f3 = DatagramValidator(format: .f3)
    let f1 = DatagramValidator(format: .f1)

    var f3Record: [UInt8] { F3SessionCodec.encode(exampleSession) }
    var f1Record: [UInt8] {
        var session = exampleSession
        session.dst6 = .init(address: IPv6Address("64:ff9b::c000:208")!, port: 1234)
        return try! F1SessionCodec.encode(session)
    }

    func reason(_ validator: DatagramValidator, _ payload: [UInt8]) -> DatagramRejectReason? {
        do {
            try validator.validate(payload)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func acceptsWellFormedDatagrams() throws {
        #expect(try f3.validate(f3Record) == 1)
        #expect(try f3.validate(Array(repeating: f3Record, count: 51).flatMap { $0 }) == 51)
        #expect(try f1.validate(f1Record + f1Record) == 2)
        #expect(try f1.validate(Array(repeating: f1Record, count: 14).flatMap { $0 }) == 14)
    }

    @Test func emptyAndTooLarge() {
        #expect(reason(f3, []) == .empty)
        #expect(reason(f3, Array(repeating: f3Record, count: 52).flatMap { $0 }) == .tooLarge)
        #expect(reason(f1, Array(repeating: f1Record, count: 15).flatMap { $0 }) == .tooLarge)
    }

    @Test func detectsTheOtherFormat() {
        #expect(reason(f3, f1Record) == .wrongFormat)
        #expect(reason(f3, f1Record + f1Record) == .wrongFormat) // 280 is a multiple of 40
        #expect(reason(f1, f3Record) == .wrongFormat)
        #expect(reason(f1, Array(repeating: f3Record, count: 7).flatMap { $0 }) == .wrongFormat) // 280 bytes
        var f2Looking = [UInt8](repeating: 0, count: 52 * 10)
        f2Looking[0] = 52
        #expect(reason(f3, f2Looking) == .wrongFormat)
    }

    @Test func lengthProblems() {
        #expect(reason(f3, f3Record + [0, 0, 0, 0]) == .notMultipleOfRecordSize)
        #expect(reason(f3, Array(f3Record.prefix(3))) == .notMultipleOfRecordSize)
        var longSecond = f3Record + f3Record
        longSecond[40] = 44
        #expect(reason(f3, longSecond) == .truncatedRecord)
        var shortFirst = f3Record + f3Record
        shortFirst[0] = 36
        #expect(reason(f3, shortFirst) == .wrongRecordLength)
        var zero = f3Record
        zero[0] = 0
        #expect(reason(f3, zero) == .wrongRecordLength)
    }

    @Test func f3TypeAndFields() {
        var nested = f3Record
        nested[3] = 0x80
        #expect(reason(f3, nested) == nil) // masked type is 1
        var type2 = f3Record
        type2[2] = 2
        #expect(reason(f3, type2) == .wrongRecordType)
        for (byte38, byte39) in [(0x00, 0x60), (0x00, 0x1c), (0x00, 0x03), (0x80, 0x00), (0x01, 0x00)] as [(UInt8, UInt8)] {
            var record = f3Record
            record[38] = byte38
            record[39] = byte39
            #expect(reason(f3, record) == .fieldOutOfRange)
        }
        var icmpTransSyn = f3Record
        icmpTransSyn[39] = 0x40 | 0x18 | 0x02
        #expect(reason(f3, icmpTransSyn) == nil)
    }

    @Test func f1RecordType() {
        var plain = f1Record
        plain[3] = 0
        #expect(reason(f1, plain) == nil) // pre-5.2 kernels
        var wrong = f1Record
        wrong[2] = 2
        #expect(reason(f1, wrong) == .wrongRecordType)
        var byteOrder = f1Record
        byteOrder[3] = 0x40
        #expect(reason(f1, byteOrder) == .wrongRecordType)
    }

    @Test func f1InnerLayout() {
        // Port attribute of src6 replaced by an unknown type: the 4.1.9 NULL dereference.
        var noPort = f1Record
        noPort[30] = 9
        #expect(reason(f1, noPort) == .badInnerLayout)
        // Swap the order of SRC6 and DST6.
        var swapped = f1Record
        swapped[6] = 2
        swapped[38] = 1
        #expect(reason(f1, swapped) == .badInnerLayout)
        // Address nests may omit NLA_F_NESTED (pre-5.2), scalars must not carry it.
        var unflagged = f1Record
        for offset in [7, 39, 71, 91] { unflagged[offset] = 0 }
        #expect(reason(f1, unflagged) == nil)
        var flaggedScalar = f1Record
        flaggedScalar[111] = 0x80
        #expect(reason(f1, flaggedScalar) == .badInnerLayout)
        var flaggedAddress = f1Record
        flaggedAddress[11] = 0x80
        #expect(reason(f1, flaggedAddress) == .badInnerLayout)
        // A nest whose length breaks the chain of attributes.
        var badLength = f1Record
        badLength[4] = 0x24
        #expect(reason(f1, badLength) == .badInnerLayout)
        var garbage = f1Record
        garbage.replaceSubrange(4..<140, with: repeatElement(0xff, count: 136))
        #expect(reason(f1, garbage) == .badInnerLayout)
        // Expiration attribute with a wrong type.
        var noExpiration = f1Record
        noExpiration[134] = 9
        #expect(reason(f1, noExpiration) == .badInnerLayout)
    }

    /// The hot path's fast check accepts exactly what the detailed validator accepts, for
    /// every single-byte change of a record (it must never accept more).
    @Test func f1FastCheckAcceptsOnlyWhatTheValidatorAccepts() {
        let record = f1Record
        #expect(record.withUnsafeBytes { F1RecordFastCheck.accepts($0) })
        var accepted = 0, detailedAccepted = 0
        // Bytes 0-1 (the record's length) are DatagramValidator's to check.
        for offset in 2..<record.count {
            for value: UInt8 in [0, 1, 2, 3, 6, 7, 0x40, 0x80, 0xff, record[offset] ^ 1] {
                var changed = record
                changed[offset] = value
                let fast = changed.withUnsafeBytes { F1RecordFastCheck.accepts($0) }
                let detailed = (try? F1RecordValidator.validate(changed, index: 0)) != nil
                #expect(!fast || detailed, "offset \(offset) value \(value): fast check accepted a rejected record")
                if fast { accepted += 1 }
                if detailed { detailedAccepted += 1 }
            }
        }
        #expect(accepted == detailedAccepted)
    }

    /// The quick range check of the packed word accepts exactly the words the decoder
    /// accepts: all 65,536 of them are tried.
    @Test func f3PackedWordCheckMatchesTheDecoder() {
        var record = f3Record
        for word in 0...Int(UInt16.max) {
            record[record.count - 2] = UInt8(word >> 8)
            record[record.count - 1] = UInt8(word & 0xff)
            let decodable = (try? PackedSessionWord.unpack(UInt16(word), record: 0)) != nil
            let accepted = reason(f3, record) == nil
            if accepted != decodable { Issue.record("word 0x\(String(word, radix: 16)): accepted \(accepted), decodable \(decodable)") }
        }
    }

    @Test func f1Ranges() {
        for (offset, value) in [(112, 3), (120, 7), (128, 3)] {
            var record = f1Record
            record[offset] = UInt8(value)
            #expect(reason(f1, record) == .fieldOutOfRange)
        }
        var synState = f1Record
        synState[120] = 6
        synState[128] = 2
        #expect(reason(f1, synState) == nil)
    }

    @Test func rejectionsExplainThemselves() {
        do {
            try f3.validate(f1Record)
            Issue.record("accepted")
        } catch {
            #expect(error.reason.shortName == "wrong-format")
            #expect(error.description.contains("140"))
        }
        let names = DatagramRejectReason.allCases.map(\.shortName)
        #expect(Set(names).count == names.count)
        #expect(names.contains("not-multiple-of-record-size") && names.contains("bad-inner-layout"))
        #expect(DatagramRejectReason.allCases.allSatisfy { !$0.description.isEmpty })
    }

    @Test func packsRecordsIntoDatagrams() throws {
        let records = (0..<100).map { index -> [UInt8] in
            var session = exampleSession
            session.src6.port = UInt16(index)
            return F3SessionCodec.encode(session)
        }
        let datagrams = try SessionDatagram.pack(records, maxRecords: 36)
        #expect(datagrams.map(\.count) == [1440, 1440, 1120])
        #expect(datagrams.flatMap { $0 } == records.flatMap { $0 })
        let bySize = try SessionDatagram.pack(records, maxRecords: 1000)
        #expect(bySize.map(\.count) == [2040, 1960])
        for datagram in bySize { try f3.validate(datagram) }
        let small = try SessionDatagram.pack(records, maxRecords: 1000, maxBytes: 100)
        #expect(small.count == 50 && small.allSatisfy { $0.count == 80 })
        #expect(try SessionDatagram.pack([], maxRecords: 3).isEmpty)
        #expect(throws: DatagramPackingError.invalidLimit(maxRecords: 0)) { try SessionDatagram.pack(records, maxRecords: 0) }
        #expect(throws: DatagramPackingError.recordTooLarge(index: 0, size: 40, maxBytes: 39)) {
            try SessionDatagram.pack(records, maxRecords: 3, maxBytes: 39)
        }
        let f1Packed = try SessionDatagram.pack(Array(repeating: f1Record, count: 30), maxRecords: 100)
        #expect(f1Packed.map(\.count) == [1960, 1960, 280])
    }
}

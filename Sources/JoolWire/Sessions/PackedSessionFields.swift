/// Big-endian field access for the packed formats.
struct BigEndianReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func u16() -> UInt16 {
        let b = take(2)
        return UInt16(b[b.startIndex]) << 8 | UInt16(b[b.startIndex + 1])
    }

    mutating func u32() -> UInt32 {
        let b = take(4)
        return b.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
                            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)])
    }
}

/// The packed proto/state/timer word of F2/F3: bits 6-5 proto, 4-2 state, 1-0 timer.
enum PackedSessionWord {
    static func pack(_ session: Session) -> UInt16 {
        UInt16(session.proto.rawValue) << 5 | UInt16(session.state.rawValue) << 2 | UInt16(session.timer.rawValue)
    }

    static func unpack(_ word: UInt16, record: Int)
        throws(SessionCodecError) -> (Session.TransportProtocol, Session.TCPState, Session.TimerType) {
        guard word >> 7 == 0 else {
            throw .fieldOutOfRange(record: record, field: "packed word (bits 15-7 must be zero)", value: UInt32(word))
        }
        return (try SessionCodec.enumValue(UInt32(word >> 5 & 3), "proto", record: record),
                try SessionCodec.enumValue(UInt32(word >> 2 & 7), "TCP state", record: record),
                try SessionCodec.enumValue(UInt32(word & 3), "timer", record: record))
    }
}

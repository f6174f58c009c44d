import Netlink

/// Decoding of a session container payload (= a UDP datagram) and encoding of records.
public enum SessionCodec {
    public static func decode(_ payload: [UInt8], format: SessionFormat) throws(SessionCodecError) -> [Session] {
        let records: [NetlinkAttribute]
        do {
            records = try NetlinkAttribute.parseSequence(payload, context: "session payload")
        } catch {
            throw .malformed(error)
        }
        var sessions: [Session] = []
        for (index, record) in records.enumerated() {
            switch format {
            case .f1: sessions.append(try F1SessionCodec.decode(record, index: index))
            case .f2: sessions.append(try F2SessionCodec.decode(record.payload, index: index))
            case .f3: sessions.append(try F3SessionCodec.decode(record.payload, index: index))
            }
        }
        return sessions
    }

    /// One record, attribute header included. F2 is decode-only.
    public static func encode(_ session: Session, format: SessionFormat) throws(SessionCodecError) -> [UInt8] {
        switch format {
        case .f1: return try F1SessionCodec.encode(session)
        case .f3: return F3SessionCodec.encode(session)
        case .f2: throw .fieldOutOfRange(record: 0, field: "format (F2 encoding is not supported)", value: 2)
        }
    }

    static func enumValue<T: RawRepresentable<UInt8>>(_ raw: UInt32, _ field: String, record: Int) throws(SessionCodecError) -> T {
        guard raw <= UInt8.max, let value = T(rawValue: UInt8(raw)) else {
            throw .fieldOutOfRange(record: record, field: field, value: raw)
        }
        return value
    }

    /// Builds a bare attribute record with libmnl (inside a scratch netlink message).
    static func record(_ build: (inout NetlinkMessageWriter) -> Void) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: 0, flags: 0, sequence: 0, portID: 0)
        build(&writer)
        return writer.bytesAfterHeader()
    }
}

/// Format F3 (Jool 4.1.13–4.1.15): attribute header (len 40, type 1) + 36 bytes:
/// src6, src4, dst4, expiration (BE), src6/src4/dst4 ports (BE), packed word (BE).
enum F3SessionCodec {
    static let payloadSize = 36

    static func encode(_ session: Session) -> [UInt8] {
        var blob = session.src6.address.bytes
        blob += session.src4.address.bytes
        blob += session.dst4.address.bytes
        blob.appendBigEndian(session.expirationMilliseconds)
        blob.appendBigEndian(session.src6.port)
        blob.appendBigEndian(session.src4.port)
        blob.appendBigEndian(session.dst4.port)
        blob.appendBigEndian(PackedSessionWord.pack(session))
        return SessionCodec.record { $0.putAttribute(type: JoolNetlink.listEntry, payload: blob) }
    }

    static func decode(_ payload: [UInt8], index: Int) throws(SessionCodecError) -> Session {
        guard payload.count == payloadSize else {
            throw .wrongRecordLength(record: index, expected: payloadSize, actual: payload.count)
        }
        var reader = BigEndianReader(payload)
        let src6 = IPv6Address(bytes: reader.take(16))!
        let src4 = IPv4Address(bytes: reader.take(4))!
        let dst4 = IPv4Address(bytes: reader.take(4))!
        let expiration = reader.u32()
        let src6Port = reader.u16(), src4Port = reader.u16(), dst4Port = reader.u16()
        let (proto, state, timer) = try PackedSessionWord.unpack(reader.u16(), record: index)
        return Session(proto: proto, state: state, timer: timer,
                       src6: .init(address: src6, port: src6Port), dst6: nil,
                       src4: .init(address: src4, port: src4Port), dst4: .init(address: dst4, port: dst4Port),
                       expirationMilliseconds: expiration)
    }
}

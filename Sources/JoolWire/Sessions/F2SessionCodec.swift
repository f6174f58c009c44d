/// Format F2 (Jool 4.1.12 only), decode-only: 48 bytes of src6, dst6, src4,
/// expiration, src6/dst6/src4 ports, packed word. dst4 comes from dst6's last 4 bytes.
enum F2SessionCodec {
    static let payloadSize = 48

    static func decode(_ payload: [UInt8], index: Int) throws(SessionCodecError) -> Session {
        guard payload.count == payloadSize else {
            throw .wrongRecordLength(record: index, expected: payloadSize, actual: payload.count)
        }
        var reader = BigEndianReader(payload)
        let src6 = IPv6Address(bytes: reader.take(16))!
        let dst6Bytes = reader.take(16)
        let dst6 = IPv6Address(bytes: dst6Bytes)!
        let dst4 = IPv4Address(bytes: dst6Bytes.suffix(4))!
        let src4 = IPv4Address(bytes: reader.take(4))!
        let expiration = reader.u32()
        let src6Port = reader.u16(), dst6Port = reader.u16(), src4Port = reader.u16()
        let (proto, state, timer) = try PackedSessionWord.unpack(reader.u16(), record: index)
        return Session(proto: proto, state: state, timer: timer,
                       src6: .init(address: src6, port: src6Port), dst6: .init(address: dst6, port: dst6Port),
                       src4: .init(address: src4, port: src4Port),
                       dst4: .init(address: dst4, port: proto == .icmp ? src4Port : dst6Port),
                       expirationMilliseconds: expiration)
    }
}

import Netlink

/// Format F1 (Jool 4.1.0–4.1.11): a `JNLAL_ENTRY` nest of 140 bytes holding four
/// address nests (ADDR + PORT) and PROTO, STATE, TIMER (u8), EXPIRATION (u32),
/// integers in host order. Decoding masks `NLA_F_NESTED`, which kernels < 5.2 omit.
enum F1SessionCodec {
    typealias S = JoolNetlink.SessionEntryAttribute
    typealias T = JoolNetlink.TransportAddressAttribute

    /// As a ≥ 5.2 kernel emits it: `NLA_F_NESTED` on the record and the address nests.
    static func encode(_ session: Session) throws(SessionCodecError) -> [UInt8] {
        guard let dst6 = session.dst6 else { throw .missingDst6 }
        return SessionCodec.record { writer in
            let entry = writer.beginNest(type: JoolNetlink.listEntry)
            put(&writer, S.src6, session.src6.address.bytes, session.src6.port)
            put(&writer, S.dst6, dst6.address.bytes, dst6.port)
            put(&writer, S.src4, session.src4.address.bytes, session.src4.port)
            put(&writer, S.dst4, session.dst4.address.bytes, session.dst4.port)
            writer.putU8(type: S.proto, session.proto.rawValue)
            writer.putU8(type: S.state, session.state.rawValue)
            writer.putU8(type: S.timer, session.timer.rawValue)
            writer.putU32(type: S.expiration, session.expirationMilliseconds)
            writer.endNest(at: entry)
        }
    }

    private static func put(_ writer: inout NetlinkMessageWriter, _ type: UInt16, _ address: [UInt8], _ port: UInt16) {
        let nest = writer.beginNest(type: type)
        writer.putAttribute(type: T.address, payload: address)
        writer.putU16(type: T.port, port)
        writer.endNest(at: nest)
    }

    static func decode(_ record: NetlinkAttribute, index: Int) throws(SessionCodecError) -> Session {
        let fields = try lift { () throws(NetlinkParseError) in try record.nested() }

        func attribute(_ type: UInt16, _ name: String) throws(SessionCodecError) -> NetlinkAttribute {
            guard let found = fields.first(type: type) else { throw .missingField(record: index, field: name) }
            return found
        }
        func endpoint(_ type: UInt16, _ name: String, size: Int) throws(SessionCodecError) -> ([UInt8], UInt16) {
            let nest = try attribute(type, name)
            let inner = try lift { () throws(NetlinkParseError) in try nest.nested() }
            guard let address = inner.first(type: T.address), address.payloadLength == size else {
                throw .missingField(record: index, field: "\(name) address")
            }
            guard let port = inner.first(type: T.port) else { throw .missingField(record: index, field: "\(name) port") }
            return (address.payload, try lift { () throws(NetlinkParseError) in try port.u16() })
        }
        func small<E: RawRepresentable<UInt8>>(_ type: UInt16, _ name: String) throws(SessionCodecError) -> E {
            let found = try attribute(type, name)
            let raw = try lift { () throws(NetlinkParseError) in try found.u8() }
            return try SessionCodec.enumValue(UInt32(raw), name, record: index)
        }

        let src6 = try endpoint(S.src6, "src6", size: 16)
        let dst6 = fields.first(type: S.dst6) == nil ? nil : try endpoint(S.dst6, "dst6", size: 16)
        let src4 = try endpoint(S.src4, "src4", size: 4)
        let dst4 = try endpoint(S.dst4, "dst4", size: 4)
        let expirationAttribute = try attribute(S.expiration, "expiration")
        return Session(proto: try small(S.proto, "proto"), state: try small(S.state, "TCP state"),
                       timer: try small(S.timer, "timer"),
                       src6: .init(address: IPv6Address(bytes: src6.0)!, port: src6.1),
                       dst6: dst6.map { .init(address: IPv6Address(bytes: $0.0)!, port: $0.1) },
                       src4: .init(address: IPv4Address(bytes: src4.0)!, port: src4.1),
                       dst4: .init(address: IPv4Address(bytes: dst4.0)!, port: dst4.1),
                       expirationMilliseconds: try lift { () throws(NetlinkParseError) in try expirationAttribute.u32() })
    }

    private static func lift<R>(_ body: () throws(NetlinkParseError) -> R) throws(SessionCodecError) -> R {
        do { return try body() } catch { throw .malformed(error) }
    }
}

import Netlink

/// The globals joold cares about, from one `JNLOP_GLOBAL_FOREACH` reply.
/// Absent values stay nil; when `more` is set, ask again with the last id as offset.
public struct GlobalsSnapshot: Equatable, Sendable {
    public var ssEnabled: Bool?
    /// nil when absent from the reply; `.some(nil)` when the instance has no pool6.
    public var pool6: IPv6Prefix??
    public var ssFlushDeadline: UInt32?
    public var ssCapacity: UInt32?
    public var ssMaxPayload: UInt32?
    public var ssMaxSessionsPerPacket: UInt32?
    /// The M flag: the reply was truncated.
    public var more: Bool
    /// The highest global id in the reply (the offset for the next request).
    public var lastID: UInt16?

    public init(decoding message: NetlinkMessage) throws(JoolReplyError) {
        try self.init(reply: JoolReply.parse(message))
    }

    public init(reply: JoolMessage) throws(JoolReplyError) {
        try reply.requireSuccess()
        more = reply.header.hasMore
        lastID = reply.attributes.map(\.type).max()
        do {
            try read(reply.attributes)
        } catch {
            throw .malformed(error)
        }
    }

    private mutating func read(_ attributes: [NetlinkAttribute]) throws(NetlinkParseError) {
        typealias G = JoolNetlink.GlobalID
        if let attribute = attributes.first(type: G.ssEnabled) { ssEnabled = try attribute.u8() != 0 }
        if let attribute = attributes.first(type: G.ssFlushDeadline) { ssFlushDeadline = try attribute.u32() }
        if let attribute = attributes.first(type: G.ssCapacity) { ssCapacity = try attribute.u32() }
        if let attribute = attributes.first(type: G.ssMaxPayload) { ssMaxPayload = try attribute.u32() }
        if let attribute = attributes.first(type: G.ssMaxSessionsPerPacket) { ssMaxSessionsPerPacket = try attribute.u32() }
        if let attribute = attributes.first(type: G.pool6) { pool6 = .some(try Self.prefix(attribute)) }
    }

    /// `JNLAP_ADDR` (16 bytes) + `JNLAP_LEN` (u8); an unset pool6 has only `LEN` = 0.
    private static func prefix(_ attribute: NetlinkAttribute) throws(NetlinkParseError) -> IPv6Prefix? {
        typealias P = JoolNetlink.PrefixAttribute
        let fields = try attribute.nested()
        guard let lengthAttribute = fields.first(type: P.length) else {
            throw .missingAttribute(type: P.length, context: "pool6 prefix")
        }
        let length = try lengthAttribute.u8()
        guard let addressAttribute = fields.first(type: P.address) else {
            if length == 0 { return nil }
            throw .missingAttribute(type: P.address, context: "pool6 prefix")
        }
        guard length <= 128, let address = IPv6Address(bytes: addressAttribute.payload) else {
            throw .invalidValue("pool6 prefix: bad address or length \(length)")
        }
        return IPv6Prefix(address: address, length: length)
    }
}

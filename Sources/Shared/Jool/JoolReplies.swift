/// Decoders for the replies joold needs. Each accepts either the raw netlink message
/// (so an `NLMSG_ERROR` becomes `.kernel`) or an already parsed `JoolMessage`.
public enum JoolReply {
    /// Parses a reply, turning `NLMSG_ERROR` and Jool error replies into `.kernel`.
    public static func parse(_ message: NetlinkMessage) throws(JoolReplyError) -> JoolMessage {
        if message.isError {
            let report: NetlinkErrorReport
            do { report = try message.errorReport() } catch { throw .malformed(error) }
            if let error = report.kernelError { throw .kernel(error) }
            throw .malformed(.unexpectedMessageType(message.type, expected: "a Jool reply, got a netlink acknowledgement"))
        }
        let reply: JoolMessage
        do { reply = try JoolMessage(message) } catch { throw .malformed(error) }
        try reply.requireSuccess()
        return reply
    }
}

/// `JNLOP_INSTANCE_HELLO` answer.
public enum InstanceStatus: Equatable, Sendable {
    case alive
    /// No instance with that name in the caller's network namespace.
    case absent

    public init(decoding message: NetlinkMessage) throws(JoolReplyError) {
        try self.init(reply: JoolReply.parse(message))
    }

    public init(reply: JoolMessage) throws(JoolReplyError) {
        try reply.requireSuccess()
        typealias S = JoolNetlink.InstanceStatusAttribute
        guard let attribute = reply.attributes.first(type: S.status) else {
            throw .malformed(.missingAttribute(type: S.status, context: "INSTANCE_HELLO reply"))
        }
        let status: UInt8
        do { status = try attribute.u8() } catch { throw .malformed(error) }
        switch status {
        case S.alive: self = .alive
        case S.absent: self = .absent
        default: throw .malformed(.invalidValue("INSTANCE_HELLO reply: unknown status \(status)"))
        }
    }
}

/// An IPv6 prefix (pool6).
public struct IPv6Prefix: Equatable, Sendable, CustomStringConvertible {
    public var address: IPv6Address
    public var length: UInt8

    public init(address: IPv6Address, length: UInt8) {
        self.address = address
        self.length = length
    }

    public var description: String { "\(address)/\(length)" }
}

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

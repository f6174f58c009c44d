import Netlink

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

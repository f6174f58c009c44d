import CMnl

/// One netlink message copied out of a receive buffer: the nlmsghdr fields and the
/// payload after the header (up to `nlmsg_len`).
public struct NetlinkMessage: Equatable, Sendable {
    public let length: UInt32
    public let type: UInt16
    public let flags: UInt16
    public let sequence: UInt32
    public let portID: UInt32
    public let payload: [UInt8]

    public init(length: UInt32, type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32, payload: [UInt8]) {
        self.length = length
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.portID = portID
        self.payload = payload
    }

    public var isError: Bool { type == NetlinkConstants.typeError }
    public var isDone: Bool { type == NetlinkConstants.typeDone }
    /// A message of a generic-netlink family (nlctrl or Jool), not a control message.
    public var isFamilyMessage: Bool { type >= NetlinkConstants.minimumFamilyType }

    /// Splits what one `recv` returned into messages. Parsing stops at the first
    /// framing problem; the messages before it are kept and the problem is reported.
    public static func split(_ buffer: [UInt8]) -> (messages: [NetlinkMessage], error: NetlinkParseError?) {
        buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return ([], nil) }
            var messages: [NetlinkMessage] = []
            var header = base.assumingMemoryBound(to: nlmsghdr.self)
            var remaining = Int32(clamping: raw.count)
            // mnl_nlmsg_ok casts nlmsg_len to int, so lengths above 2^31 would pass it.
            while mnl_nlmsg_ok(header, remaining), header.pointee.nlmsg_len <= UInt32(remaining) {
                messages.append(NetlinkMessage(copying: header))
                let advance = (Int(header.pointee.nlmsg_len) + 3) & ~3
                guard Int(remaining) > advance else { return (messages, nil) }
                header = UnsafePointer(mnl_nlmsg_next(header, &remaining))
            }
            guard remaining > 0 else { return (messages, nil) }
            let offset = raw.count - Int(remaining)
            if Int(remaining) < NetlinkConstants.headerSize {
                return (messages, .truncatedMessage(offset: offset, declaredLength: nil, available: Int(remaining)))
            }
            let declared = Int(header.pointee.nlmsg_len)
            if declared < NetlinkConstants.headerSize {
                return (messages, .badMessageLength(offset: offset, declaredLength: declared))
            }
            return (messages, .truncatedMessage(offset: offset, declaredLength: declared, available: Int(remaining)))
        }
    }

    /// Like `split`, but any framing problem is an error.
    public static func parseAll(_ buffer: [UInt8]) throws(NetlinkParseError) -> [NetlinkMessage] {
        let (messages, error) = split(buffer)
        if let error { throw error }
        return messages
    }

    private init(copying header: UnsafePointer<nlmsghdr>) {
        let fields = header.pointee
        length = fields.nlmsg_len
        type = fields.nlmsg_type
        flags = fields.nlmsg_flags
        sequence = fields.nlmsg_seq
        portID = fields.nlmsg_pid
        let payloadLength = Int(mnl_nlmsg_get_payload_len(header))
        payload = Array(UnsafeRawBufferPointer(start: mnl_nlmsg_get_payload(header), count: payloadLength))
    }

    /// Decodes an `NLMSG_ERROR` message (an error or, with errno 0, an acknowledgement).
    public func errorReport() throws(NetlinkParseError) -> NetlinkErrorReport {
        guard isError else { throw .unexpectedMessageType(type, expected: "NLMSG_ERROR (2)") }
        guard payload.count >= 4 else { throw .tooShort(length: payload.count, needed: 4, context: "NLMSG_ERROR payload") }
        let error = payload.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        return NetlinkErrorReport(errno: error == Int32.min ? Int32.max : -error,
                                  extendedMessage: extendedAckMessage())
    }

    /// The extended-ack text ("NLA_F_NESTED is missing") when the kernel added one.
    private func extendedAckMessage() -> String? {
        let ackTLVs: UInt16 = 0x200, capped: UInt16 = 0x100, messageAttribute: UInt16 = 1
        guard flags & ackTLVs != 0 else { return nil }
        var offset = 4 + NetlinkConstants.headerSize
        if flags & capped == 0, payload.count >= 8 {
            let quotedLength = payload.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self) }
            offset = 4 + ((Int(quotedLength) + 3) & ~3)
        }
        guard offset < payload.count,
              let attributes = try? NetlinkAttribute.parseSequence(Array(payload[offset...]), context: "extended ack"),
              let text = attributes.first(type: messageAttribute)?.string(), !text.isEmpty else { return nil }
        return text
    }

    /// The generic-netlink header and what follows it.
    public func genericMessage() throws(NetlinkParseError) -> GenericNetlinkMessage {
        guard isFamilyMessage else {
            throw .unexpectedMessageType(type, expected: "a generic netlink family message (>= 16)")
        }
        guard payload.count >= NetlinkConstants.genlHeaderSize else {
            throw .tooShort(length: payload.count, needed: NetlinkConstants.genlHeaderSize, context: "generic netlink message")
        }
        return GenericNetlinkMessage(command: payload[0], version: payload[1],
                                     payload: Array(payload[NetlinkConstants.genlHeaderSize...]))
    }
}

/// The body of an `NLMSG_ERROR` message.
public struct NetlinkErrorReport: Equatable, Sendable {
    /// Positive errno; 0 means acknowledgement.
    public let errno: Int32
    public let extendedMessage: String?

    public var isAcknowledgement: Bool { errno == 0 }

    /// The report as a `KernelError` (nil for an acknowledgement).
    public var kernelError: KernelError? {
        isAcknowledgement ? nil : KernelError(code: errno, message: extendedMessage ?? KernelError.describe(errno: errno),
                                              origin: .netlink)
    }
}

/// `struct genlmsghdr` and the bytes after it (family header and attributes).
public struct GenericNetlinkMessage: Equatable, Sendable {
    public let command: UInt8
    public let version: UInt8
    public let payload: [UInt8]
}

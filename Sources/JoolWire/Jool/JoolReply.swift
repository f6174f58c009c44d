import Netlink

/// Replies to our requests. The specific decoders (`InstanceStatus`, `GlobalsSnapshot`)
/// accept the raw netlink message (an `NLMSG_ERROR` then becomes `.kernel`) or a
/// `JoolMessage` already parsed with `parse`.
public enum JoolReply {
    /// Parses a reply, turning `NLMSG_ERROR` and Jool error replies into `.kernel`.
    public static func parse(_ message: NetlinkMessage) throws(JoolReplyError) -> JoolMessage {
        guard let reply = try check(message) else {
            let found = message.isError ? "a netlink acknowledgement" : "an nlctrl message"
            throw .malformed(.unexpectedMessageType(message.type, expected: "a Jool reply, got \(found)"))
        }
        return reply
    }

    /// The one place where the kernel's error replies are told apart and decoded: throws
    /// `.kernel` with the error `message` reports, an `NLMSG_ERROR` with a non-zero errno
    /// (netlink, genetlink or nlctrl refused) or a Jool message with the ERROR flag (the
    /// module refused); `.malformed`/`.badHeader` when it cannot be read. Returns the Jool
    /// message of any other Jool message, nil for an acknowledgement or an nlctrl message.
    @discardableResult
    public static func check(_ message: NetlinkMessage) throws(JoolReplyError) -> JoolMessage? {
        if message.isError {
            let report: NetlinkErrorReport
            do { report = try message.errorReport() } catch { throw .malformed(error) }
            if let error = report.kernelError { throw .kernel(error) }
            return nil
        }
        guard message.type != NetlinkController.id else { return nil }
        let reply: JoolMessage
        do {
            reply = try JoolMessage(message)
        } catch {
            switch error {
            case let .netlink(error): throw .malformed(error)
            case let .header(error): throw .badHeader(error)
            }
        }
        try reply.requireSuccess()
        return reply
    }
}

/// What a reply decoder reports when it cannot return the value asked for.
public enum JoolReplyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes were not what the protocol says.
    case malformed(NetlinkParseError)
    /// The Jool header was not one we can read.
    case badHeader(JoolHeaderError)
    /// The kernel answered with an error.
    case kernel(KernelError)

    public var description: String {
        switch self {
        case let .malformed(error): return "malformed reply from the kernel: \(error)"
        case let .badHeader(error): return "malformed reply from the kernel: \(error)"
        case let .kernel(error): return error.description
        }
    }
}

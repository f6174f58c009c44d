/// Replies to our requests. The specific decoders (`InstanceStatus`, `GlobalsSnapshot`)
/// accept the raw netlink message (an `NLMSG_ERROR` then becomes `.kernel`) or a
/// `JoolMessage` already parsed with `parse`.
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

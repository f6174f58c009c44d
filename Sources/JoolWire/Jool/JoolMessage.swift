import Netlink

/// A received Jool message: netlink fields, genl command/version, the Jool header
/// (framing-checked only) and the top-level attributes after it.
public struct JoolMessage: Equatable, Sendable {
    public let netlink: NetlinkMessage
    public let command: UInt8
    public let genlVersion: UInt8
    public let header: JoolHeader
    public let attributes: [NetlinkAttribute]

    public init(_ message: NetlinkMessage) throws(JoolMessageError) {
        let generic: GenericNetlinkMessage
        do { generic = try message.genericMessage() } catch { throw .netlink(error) }
        guard generic.payload.count >= JoolNetlink.headerSize else {
            throw .header(.tooShort(length: generic.payload.count))
        }
        do { header = try JoolHeader(decoding: generic.payload) } catch { throw .header(error) }
        netlink = message
        command = generic.command
        genlVersion = generic.version
        do {
            attributes = try NetlinkAttribute.parseSequence(Array(generic.payload[JoolNetlink.headerSize...]),
                                                            context: "Jool message")
        } catch {
            throw .netlink(error)
        }
    }

    /// The error this message reports, when its header has the ERROR flag.
    /// Missing code → EINVAL (like `joolnl_msg2result`), missing text → strerror.
    public func kernelError() throws(NetlinkParseError) -> KernelError? {
        guard header.isError else { return nil }
        typealias E = JoolNetlink.ErrorAttribute
        let code: Int32
        if let attribute = attributes.first(type: E.code) {
            code = Int32(try attribute.u16())
        } else {
            code = 22 // EINVAL
        }
        let message = attributes.first(type: E.message)?.string() ?? KernelError.describe(errno: code)
        return KernelError(code: code, message: message, origin: .jool)
    }

    /// Throws the kernel's error when this is a Jool error reply.
    func requireSuccess() throws(JoolReplyError) {
        let error: KernelError?
        do { error = try kernelError() } catch { throw .malformed(error) }
        if let error { throw .kernel(error) }
    }
}

/// Why bytes are not a Jool message: the netlink framing, or the Jool header.
public enum JoolMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    case netlink(NetlinkParseError)
    case header(JoolHeaderError)

    public var description: String {
        switch self {
        case let .netlink(error): return error.description
        case let .header(error): return error.description
        }
    }
}

import Netlink

/// A joold multicast from the kernel: the sessions one instance wants relayed.
public struct KernelSessionPacket: Equatable, Sendable {
    public let header: JoolHeader
    /// The `JNLAR_SESSION_ENTRIES` container's payload, exactly `nla_len - 4` bytes:
    /// what goes into the UDP datagram, unchanged.
    public let payload: [UInt8]

    public var instanceName: String { header.instanceName }

    /// Applies the checks of the real daemon (`updated_entries_cb`), in its order:
    /// framing; magic, version (same major.minor as `version`) and NAT64 bit;
    /// instance name (case-sensitive, skipped when `instance` is nil); ERROR flag;
    /// first attribute (type masked) must be the session container.
    public init(decoding message: NetlinkMessage, expecting version: JoolVersion,
                instance: InstanceName?) throws(KernelSessionPacketError) {
        if message.isError {
            do { try JoolReply.check(message) } catch let .kernel(error) { throw .errorReply(error) } catch {}
            throw .notJool(messageType: message.type)   // an acknowledgement, or unreadable
        }
        guard message.isFamilyMessage else { throw .notJool(messageType: message.type) }
        let jool: JoolMessage
        do {
            jool = try JoolMessage(message)
        } catch {
            switch error {
            case let .netlink(error): throw .malformed(error)
            case let .header(error): throw .invalidHeader(error)
            }
        }
        do {
            try jool.header.validate(expecting: version)
        } catch {
            throw .invalidHeader(error)
        }
        if let instance, !jool.header.isAddressed(to: instance) {
            throw .otherInstance(jool.header.instanceName)
        }
        let reported: KernelError?
        do { reported = try jool.kernelError() } catch { throw .malformed(error) }
        if let reported { throw .errorReply(reported) }
        guard let first = jool.attributes.first, first.type == JoolNetlink.RootAttribute.sessionEntries else {
            throw .missingSessionContainer(firstAttributeType: jool.attributes.first?.type)
        }
        header = jool.header
        payload = first.payload
    }
}

public enum KernelSessionPacketError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a generic-netlink message at all (NOOP, DONE, an acknowledgement...).
    case notJool(messageType: UInt16)
    case malformed(NetlinkParseError)
    case invalidHeader(JoolHeaderError)
    /// Addressed to another instance of the same namespace.
    case otherInstance(String)
    /// A Jool error reply (or `NLMSG_ERROR`) to one of our requests.
    case errorReply(KernelError)
    case missingSessionContainer(firstAttributeType: UInt16?)

    /// Whether the real daemon answers this with `JOOLD_ACK` so that the kernel
    /// keeps flushing: yes for broken packets, no for other instances' packets and
    /// for error replies (ACKing those loops: error → ACK → error ...).
    public var warrantsAck: Bool {
        switch self {
        case .malformed, .invalidHeader, .missingSessionContainer: return true
        case .notJool, .otherInstance, .errorReply: return false
        }
    }

    public var description: String {
        switch self {
        case let .notJool(type):
            return "not a Jool message (netlink type \(type))"
        case let .malformed(error):
            return "kernel sent invalid data: \(error)"
        case let .invalidHeader(error):
            return "kernel sent invalid data: \(error)"
        case let .otherInstance(name):
            return "packet is intended for instance '\(name)'"
        case let .errorReply(error):
            return error.description
        case let .missingSessionContainer(type):
            let found = type.map { "its first attribute has type \($0)" } ?? "it has no attributes"
            return "kernel sent invalid data: message lacks a session container (\(found))"
        }
    }
}

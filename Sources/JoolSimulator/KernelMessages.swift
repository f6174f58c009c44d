import JoolWire
import Netlink

/// The messages the Jool module sends, built as the kernel builds them
/// (docs/jool-kernel-protocol.md §4.5 and §10): replies copy the request's Jool header,
/// genl cmd 0 and version 2, flags 0; multicasts carry sequence 0 and port 0 and the
/// kernel's version.
enum KernelMessages {
    static let familyID: UInt16 = 0x22
    static let groupID: UInt32 = 9
    static let kernelGenlVersion: UInt8 = 2

    static func newFamily(to request: NetlinkMessage) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: NetlinkController.id, flags: 0,
                                          sequence: request.sequence, portID: request.portID)
        writer.putGenericHeader(command: NetlinkController.commandNewFamily, version: 2)
        writer.putString(type: NetlinkController.Attribute.familyName, JoolNetlink.familyName)
        writer.putU16(type: NetlinkController.Attribute.familyID, familyID)
        writer.putU32(type: NetlinkController.Attribute.version, 2)
        writer.putU32(type: NetlinkController.Attribute.headerSize, UInt32(JoolNetlink.headerSize))
        writer.putU32(type: NetlinkController.Attribute.maxAttribute, UInt32(JoolNetlink.RootAttribute.max))
        let groups = writer.beginNest(type: NetlinkController.Attribute.multicastGroups)
        let group = writer.beginNest(type: 1)
        writer.putString(type: NetlinkController.MulticastGroupAttribute.name, JoolNetlink.multicastGroupName)
        writer.putU32(type: NetlinkController.MulticastGroupAttribute.id, groupID)
        writer.endNest(at: group)
        writer.endNest(at: groups)
        return writer.bytes()
    }

    /// struct nlmsgerr: the negative errno, then the offending request's header.
    static func netlinkError(_ errno: Int32, to request: NetlinkMessage) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: NetlinkConstants.typeError, flags: 0,
                                          sequence: request.sequence, portID: request.portID)
        var body = withUnsafeBytes(of: (-errno).littleEndian) { Array($0) }
        body += withUnsafeBytes(of: UInt32(NetlinkConstants.headerSize + request.payload.count).littleEndian) { Array($0) }
        body += withUnsafeBytes(of: request.type.littleEndian) { Array($0) }
        body += withUnsafeBytes(of: request.flags.littleEndian) { Array($0) }
        body += withUnsafeBytes(of: request.sequence.littleEndian) { Array($0) }
        body += withUnsafeBytes(of: request.portID.littleEndian) { Array($0) }
        writer.putExtraHeader(body)
        return writer.bytes()
    }

    /// A Jool reply: the request's header (flags OR-ed), then attributes.
    static func reply(to request: NetlinkMessage, header: [UInt8], flags: UInt8 = 0,
                      _ attributes: (inout NetlinkMessageWriter) -> Void = { _ in }) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: familyID, flags: 0, sequence: request.sequence, portID: request.portID)
        writer.putGenericHeader(command: 0, version: kernelGenlVersion)
        var copied = header
        copied[9] |= flags
        writer.putExtraHeader(copied)
        attributes(&writer)
        return writer.bytes()
    }

    static func joolError(_ code: UInt16, _ message: String, to request: NetlinkMessage, header: [UInt8]) -> [UInt8] {
        reply(to: request, header: header, flags: JoolNetlink.HeaderFlags.error) { writer in
            writer.putU16(type: JoolNetlink.ErrorAttribute.code, code)
            writer.putString(type: JoolNetlink.ErrorAttribute.message, message)
        }
    }

    /// A joold session packet, as `send_to_userspace` multicasts it.
    static func sessionMulticast(instance: String, version: JoolVersion, payload: [UInt8]) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: familyID, flags: 0, sequence: 0, portID: 0)
        writer.putGenericHeader(command: 0, version: kernelGenlVersion)
        var name = Array(instance.utf8.prefix(15))
        name += [UInt8](repeating: 0, count: 16 - name.count)
        writer.putExtraHeader(JoolNetlink.magic + version.bigEndianBytes + [JoolNetlink.TranslatorType.nat64, 0, 0, 0] + name)
        writer.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested, payload: payload)
        return writer.bytes()
    }
}

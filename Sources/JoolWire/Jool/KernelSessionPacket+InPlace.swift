import Netlink

extension KernelSessionPacket {
    /// The relay's hot path: the session container's payload of a kernel multicast,
    /// read in place (no copy, no allocation), when `message` (one whole netlink message)
    /// is a session packet for `instance` that `init(decoding:expecting:instance:)` would
    /// accept with exactly this payload, and the payload fits one datagram. nil for
    /// anything else, which the full decoder then handles (and explains): replies,
    /// errors, other instances, unusual flags or layouts, larger packets.
    public static func payloadInPlace(_ message: UnsafeRawBufferPointer, expecting version: JoolVersion,
                                      instance: InstanceName) -> UnsafeRawBufferPointer? {
        let jool = NetlinkConstants.headerSize + NetlinkConstants.genlHeaderSize   // 20
        let attributes = jool + JoolNetlink.headerSize                               // 48
        guard message.count >= attributes + NetlinkConstants.attributeHeaderSize else { return nil }
        func u16(_ offset: Int) -> UInt16 { message.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
        func u32(_ offset: Int) -> UInt32 { message.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        // A whole family message, sequence 0 and port 0 (a multicast, not a reply).
        guard Int(u32(0)) == message.count, u16(4) >= NetlinkConstants.minimumFamilyType,
              u32(8) == 0, u32(12) == 0 else { return nil }
        // The Jool header: magic, same major.minor, NAT64, no flags, our instance's name.
        let magic = JoolNetlink.magic
        guard message[jool] == magic[0], message[jool + 1] == magic[1], message[jool + 2] == magic[2],
              message[jool + 3] == magic[3],
              message[jool + 4] == version.major, message[jool + 5] == version.minor,
              message[jool + 8] & JoolNetlink.TranslatorType.nat64 != 0, message[jool + 9] == 0,
              nameMatches(UnsafeRawBufferPointer(rebasing: message[(jool + 12)..<attributes]), instance)
        else { return nil }
        // One attribute, the session container, filling the rest of the message (the
        // last attribute may lack its padding).
        let length = Int(u16(attributes))
        guard length >= NetlinkConstants.attributeHeaderSize,
              u16(attributes + 2) & NetlinkConstants.attributeTypeMask == JoolNetlink.RootAttribute.sessionEntries,
              attributes + length == message.count || attributes + ((length + 3) & ~3) == message.count,
              length - NetlinkConstants.attributeHeaderSize <= SessionDatagram.maxSize
        else { return nil }
        return UnsafeRawBufferPointer(rebasing: message[(attributes + NetlinkConstants.attributeHeaderSize)..<(attributes + length)])
    }

    /// The 16-byte name field holds `instance`'s bytes, then a NUL.
    private static func nameMatches(_ field: UnsafeRawBufferPointer, _ instance: InstanceName) -> Bool {
        var index = 0
        for byte in instance.value.utf8 {
            guard index < field.count - 1, field[index] == byte else { return false }
            index += 1
        }
        return field[index] == 0
    }
}

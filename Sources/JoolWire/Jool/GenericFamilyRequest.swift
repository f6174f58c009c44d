import Netlink

/// nlctrl `CTRL_CMD_GETFAMILY` request: how userspace learns a family's id and groups.
public enum GenericFamilyRequest {
    public static func getFamily(name: String = JoolNetlink.familyName,
                                 sequence: UInt32, portID: UInt32 = 0) -> [UInt8] {
        var writer = NetlinkMessageWriter(type: NetlinkController.id, flags: NetlinkConstants.flagRequest,
                                          sequence: sequence, portID: portID)
        writer.putGenericHeader(command: NetlinkController.commandGetFamily, version: NetlinkController.genlVersion)
        writer.putString(type: NetlinkController.Attribute.familyName, name)
        return writer.bytes()
    }
}

/// Generic netlink controller ("nlctrl") numbers, from linux/genetlink.h.
public enum NetlinkController {
    public static let id: UInt16 = 0x10
    public static let commandNewFamily: UInt8 = 1
    public static let commandGetFamily: UInt8 = 3
    public static let genlVersion: UInt8 = 1

    public enum Attribute {
        public static let familyID: UInt16 = 1
        public static let familyName: UInt16 = 2
        public static let version: UInt16 = 3
        public static let headerSize: UInt16 = 4
        public static let maxAttribute: UInt16 = 5
        public static let multicastGroups: UInt16 = 7
    }

    public enum MulticastGroupAttribute {
        public static let name: UInt16 = 1
        public static let id: UInt16 = 2
    }
}

/// Plain netlink numbers, from linux/netlink.h.
public enum NetlinkConstants {
    public static let protocolGeneric: Int32 = 16
    public static let headerSize = 16
    public static let genlHeaderSize = 4
    public static let attributeHeaderSize = 4

    public static let flagRequest: UInt16 = 0x1
    public static let flagMulti: UInt16 = 0x2
    public static let flagAck: UInt16 = 0x4

    public static let typeNoop: UInt16 = 1
    public static let typeError: UInt16 = 2
    public static let typeDone: UInt16 = 3
    public static let typeOverrun: UInt16 = 4
    /// Types below this are netlink control messages, not family messages.
    public static let minimumFamilyType: UInt16 = 0x10

    public static let attributeNested: UInt16 = 0x8000
    public static let attributeNetByteOrder: UInt16 = 0x4000
    public static let attributeTypeMask: UInt16 = 0x3FFF

    /// SOL_NETLINK and its options (not exported by Glibc's Swift module).
    public static let solNetlink: Int32 = 270
    public static let addMembership: Int32 = 1
    public static let dropMembership: Int32 = 2
    public static let noENOBUFS: Int32 = 5
    public static let extendedAck: Int32 = 11
}

/// Numbers of the Jool generic-netlink protocol (Jool 4.1.x; identical in 4.1.9 and 4.1.15).
/// See docs/jool-kernel-protocol.md, §3 to §5 and Appendix B.
public enum JoolNetlink {
    public static let familyName = "Jool"
    public static let multicastGroupName = "joold"
    /// The generic-netlink version userspace puts in requests (the kernel ignores it).
    public static let requestGenlVersion: UInt8 = 1
    /// Size of `struct joolnlhdr`; attributes start right after it.
    public static let headerSize = 28
    /// nlmsghdr (16) + genlmsghdr (4) + Jool header (28).
    public static let minimumMessageSize = 48
    public static let instanceNameBufferSize = 16
    public static let defaultInstanceName = "default"
    public static let magic: [UInt8] = Array("jool".utf8)

    /// `enum joolnl_operation`, the genl command of a request.
    public enum Command: UInt8, Sendable {
        case instanceForeach = 0
        case instanceHello = 2
        case statsForeach = 7
        case globalForeach = 8
        case globalUpdate = 9
        case sessionForeach = 25
        case jooldAdd = 27
        case jooldAdvertise = 28
        case jooldAck = 29
    }

    /// `enum joolnl_attr_root`: top-level attributes after the Jool header.
    public enum RootAttribute {
        public static let globals: UInt16 = 2
        public static let sessionEntries: UInt16 = 7
        public static let offset: UInt16 = 8
        public static let offsetU8: UInt16 = 9
        public static let proto: UInt16 = 11
        public static let max: UInt16 = 13
    }

    /// `JNLAL_ENTRY`: each element of a list, including each serialized session.
    public static let listEntry: UInt16 = 1

    /// `joolnlhdr.flags` bits.
    public enum HeaderFlags {
        public static let error: UInt8 = 0x01
        public static let force: UInt8 = 0x02
        public static let quick: UInt8 = 0x04
        /// Reply to a foreach op was truncated: ask again with an offset.
        public static let more: UInt8 = 0x08
    }

    /// `joolnlhdr.xt` bits.
    public enum TranslatorType {
        public static let siit: UInt8 = 1
        public static let nat64: UInt8 = 2
    }

    /// `enum joolnl_attr_global` ids this project reads or writes.
    public enum GlobalID {
        public static let pool6: UInt16 = 2
        public static let ssEnabled: UInt16 = 27
        public static let ssFlushAsap: UInt16 = 28
        public static let ssFlushDeadline: UInt16 = 29
        public static let ssCapacity: UInt16 = 30
        public static let ssMaxPayload: UInt16 = 31
        /// 4.1.11+ only; a 4.1.9 kernel rejects the whole update if present.
        public static let ssMaxSessionsPerPacket: UInt16 = 32
    }

    /// `JNLAP_*`: prefix attributes (pool6).
    public enum PrefixAttribute {
        public static let address: UInt16 = 1
        public static let length: UInt16 = 2
    }

    /// `JNLAT_*`: transport address attributes (F1 sessions).
    public enum TransportAddressAttribute {
        public static let address: UInt16 = 1
        public static let port: UInt16 = 2
    }

    /// `JNLASE_*`: F1 session entry attributes.
    public enum SessionEntryAttribute {
        public static let src6: UInt16 = 1
        public static let dst6: UInt16 = 2
        public static let src4: UInt16 = 3
        public static let dst4: UInt16 = 4
        public static let proto: UInt16 = 5
        public static let state: UInt16 = 6
        public static let timer: UInt16 = 7
        public static let expiration: UInt16 = 8
    }

    /// `JNLAIS_*`: INSTANCE_HELLO reply.
    public enum InstanceStatusAttribute {
        public static let status: UInt16 = 1
        public static let alive: UInt8 = 0
        public static let absent: UInt8 = 1
    }

    /// `JNLAERR_*`: Jool error reply attributes.
    public enum ErrorAttribute {
        public static let code: UInt16 = 1
        public static let message: UInt16 = 2
    }
}

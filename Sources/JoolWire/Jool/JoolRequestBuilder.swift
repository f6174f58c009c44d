import Netlink

/// Builds the Jool requests joold sends, with libmnl: `nlmsg_type` = the family id,
/// flags `NLM_F_REQUEST` only (the real tools disable auto-ACK), genl version 1,
/// then the Jool header with `xt = NAT64`.
public struct JoolRequestBuilder: Sendable {
    public var familyID: UInt16 { didSet { buildTemplates() } }
    public var portID: UInt32 { didSet { buildTemplates() } }
    public var instance: InstanceName { didSet { buildTemplates() } }
    /// Put in every request; the kernel only checks major.minor.
    public var version: JoolVersion { didSet { buildTemplates() } }
    /// The two messages of the relay's hot path, built once with sequence 0: an ACK, and
    /// an ADD with an empty container (52 bytes). Each message is then a copy with its
    /// sequence (and lengths) patched, not a fresh writer and Jool header.
    private var ackTemplate: [UInt8] = []
    private var addHead: [UInt8] = []

    public init(familyID: UInt16, portID: UInt32 = 0, instance: InstanceName,
                version: JoolVersion = .v4_1_15) {
        self.familyID = familyID
        self.portID = portID
        self.instance = instance
        self.version = version
        buildTemplates()
    }

    private mutating func buildTemplates() {
        ackTemplate = start(.jooldAck, sequence: 0).bytes()
        var writer = start(.jooldAdd, sequence: 0)
        writer.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested, payload: [])
        addHead = writer.bytes()
    }

    /// `JNLOP_JOOLD_ACK`: header only.
    public func ack(sequence: UInt32) -> [UInt8] {
        var message = ackTemplate
        Self.patch(&message, at: 8, sequence)
        return message
    }

    /// The same ACK written into `message`, whose storage is reused.
    public func ack(sequence: UInt32, into message: inout [UInt8]) {
        message.removeAll(keepingCapacity: true)
        message.append(contentsOf: ackTemplate)
        Self.patch(&message, at: 8, sequence)
    }

    /// `JNLOP_JOOLD_ADVERTISE`: header only.
    public func advertise(sequence: UInt32) -> [UInt8] {
        start(.jooldAdvertise, sequence: sequence).bytes()
    }

    /// `JNLOP_INSTANCE_HELLO`: header only (the explicit name matters here). The kernel
    /// looks the name up among instances of `translatorType` only, so asking with SIIT
    /// tells "no such instance" from "a SIIT instance of that name".
    public func instanceHello(sequence: UInt32,
                              translatorType: UInt8 = JoolNetlink.TranslatorType.nat64) -> [UInt8] {
        start(.instanceHello, sequence: sequence, translatorType: translatorType).bytes()
    }

    /// `JNLOP_GLOBAL_FOREACH`, optionally continuing after global id `offset`.
    public func globalForeach(sequence: UInt32, offset: UInt8? = nil) -> [UInt8] {
        var writer = start(.globalForeach, sequence: sequence)
        if let offset { writer.putU8(type: JoolNetlink.RootAttribute.offsetU8, offset) }
        return writer.bytes()
    }

    /// `JNLOP_STATS_FOREACH`, optionally continuing after stat id `offset`.
    public func statsForeach(sequence: UInt32, offset: UInt8? = nil) -> [UInt8] {
        var writer = start(.statsForeach, sequence: sequence)
        if let offset { writer.putU8(type: JoolNetlink.RootAttribute.offsetU8, offset) }
        return writer.bytes()
    }

    /// `JNLOP_SESSION_FOREACH` (25) for one protocol: `JNLAR_PROTO` (u8: TCP 0, UDP 1,
    /// ICMP 2; the kernel refuses a request without it) and, to continue after a page,
    /// `JNLAR_OFFSET | NLA_F_NESTED` holding a session entry with the `JNLASE_SRC4` and
    /// `JNLASE_DST4` nests (`NLA_F_NESTED`; `JNLAT_ADDR` 4 bytes + `JNLAT_PORT` u16 each)
    /// of the previous page's last session. That pair is all the kernel reads from the
    /// offset (`parse_offset`, src/mod/common/nl/session.c@v4.1.9); both ports are always
    /// present because 4.1.9 dereferences a missing one (`jnla_get_taddr4`).
    public func sessionForeach(sequence: UInt32, proto: Session.TransportProtocol,
                               after offset: SessionTableOffset? = nil) -> [UInt8] {
        typealias S = JoolNetlink.SessionEntryAttribute
        typealias T = JoolNetlink.TransportAddressAttribute
        var writer = start(.sessionForeach, sequence: sequence)
        writer.putU8(type: JoolNetlink.RootAttribute.proto, proto.rawValue)
        if let offset {
            let root = writer.beginNest(type: JoolNetlink.RootAttribute.offset)
            for (type, endpoint) in [(S.src4, offset.src4), (S.dst4, offset.dst4)] {
                let nest = writer.beginNest(type: type)
                writer.putAttribute(type: T.address, payload: endpoint.address.bytes)
                writer.putU16(type: T.port, endpoint.port)
                writer.endNest(at: nest)
            }
            writer.endNest(at: root)
        }
        return writer.bytes()
    }

    /// `JNLOP_JOOLD_ADD`: exactly one `JNLAR_SESSION_ENTRIES | NLA_F_NESTED` container
    /// whose payload is `sessionEntries`, byte for byte (a datagram from a peer).
    /// The kernel dereferences a missing container, so there is no way to omit it.
    public func add(sequence: UInt32, sessionEntries: [UInt8]) throws(JoolRequestError) -> [UInt8] {
        let limit = Int(UInt16.max) - NetlinkConstants.attributeHeaderSize
        guard sessionEntries.count <= limit else {
            throw .payloadTooLarge(size: sessionEntries.count, limit: limit)
        }
        var writer = start(.jooldAdd, sequence: sequence)
        writer.putAttribute(type: JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested,
                            payload: sessionEntries)
        return writer.bytes()
    }

    /// The same ADD written into `message`, whose storage is reused (no allocation per
    /// datagram once it is large enough): the relay's receive path.
    public func add(sequence: UInt32, sessionEntries: UnsafeRawBufferPointer,
                    into message: inout [UInt8]) throws(JoolRequestError) {
        let limit = Int(UInt16.max) - NetlinkConstants.attributeHeaderSize
        guard sessionEntries.count <= limit else {
            throw .payloadTooLarge(size: sessionEntries.count, limit: limit)
        }
        message.removeAll(keepingCapacity: true)
        message.append(contentsOf: addHead)
        message.append(contentsOf: sessionEntries)
        // mnl_attr_put pads the attribute to 4 bytes; nla_len leaves the padding out.
        let padding = (4 - sessionEntries.count % 4) % 4
        if padding > 0 { message.append(contentsOf: repeatElement(0, count: padding)) }
        Self.patch(&message, at: 0, UInt32(message.count))
        Self.patch(&message, at: 8, sequence)
        Self.patch(&message, at: addHead.count - NetlinkConstants.attributeHeaderSize,
                   UInt16(NetlinkConstants.attributeHeaderSize + sessionEntries.count))
    }

    /// Writes `value` in host order (netlink's) at `offset`.
    private static func patch<T: FixedWidthInteger>(_ message: inout [UInt8], at offset: Int, _ value: T) {
        message.withUnsafeMutableBytes { $0.storeBytes(of: value, toByteOffset: offset, as: T.self) }
    }

    /// `JNLOP_GLOBAL_UPDATE` with the settings inside one `JNLAR_GLOBALS | NLA_F_NESTED` container.
    public func globalUpdate(sequence: UInt32, settings: [SessionSyncSetting]) throws(JoolRequestError) -> [UInt8] {
        guard !settings.isEmpty else { throw .noSettings }
        var writer = start(.globalUpdate, sequence: sequence)
        let nest = writer.beginNest(type: JoolNetlink.RootAttribute.globals)
        for setting in settings {
            switch setting {
            case let .enabled(value), let .flushAsap(value):
                writer.putU8(type: setting.globalID, value ? 1 : 0)
            case let .flushDeadline(value), let .capacity(value), let .maxPayload(value),
                 let .maxSessionsPerPacket(value):
                writer.putU32(type: setting.globalID, value)
            }
        }
        writer.endNest(at: nest)
        return writer.bytes()
    }

    private func start(_ command: JoolNetlink.Command, sequence: UInt32,
                       translatorType: UInt8 = JoolNetlink.TranslatorType.nat64) -> NetlinkMessageWriter {
        var writer = NetlinkMessageWriter(type: familyID, flags: NetlinkConstants.flagRequest,
                                          sequence: sequence, portID: portID)
        writer.putGenericHeader(command: command.rawValue, version: JoolNetlink.requestGenlVersion)
        var header = JoolHeader(request: instance, version: version)
        header.translatorType = translatorType
        writer.putExtraHeader(header.encoded())
        return writer
    }
}

public enum JoolRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case payloadTooLarge(size: Int, limit: Int)
    case noSettings

    public var description: String {
        switch self {
        case let .payloadTooLarge(size, limit):
            return "session payload of \(size) bytes does not fit one netlink attribute (limit \(limit))"
        case .noSettings:
            return "a global update needs at least one setting"
        }
    }
}

import Netlink

/// What an nlctrl `CTRL_CMD_NEWFAMILY` reply says about a family.
public struct GenericFamilyInfo: Equatable, Sendable {
    public var id: UInt16
    public var name: String?
    public var version: UInt32?
    public var headerSize: UInt32?
    public var maxAttribute: UInt32?
    /// Multicast group name → group id.
    public var multicastGroups: [String: UInt32]

    public init(id: UInt16, name: String? = nil, version: UInt32? = nil, headerSize: UInt32? = nil,
                maxAttribute: UInt32? = nil, multicastGroups: [String: UInt32] = [:]) {
        self.id = id
        self.name = name
        self.version = version
        self.headerSize = headerSize
        self.maxAttribute = maxAttribute
        self.multicastGroups = multicastGroups
    }

    /// The id of the "joold" group, when the family has it.
    public var jooldGroupID: UInt32? { multicastGroups[JoolNetlink.multicastGroupName] }

    /// Decodes the reply to `GenericFamilyRequest.getFamily`. An `NLMSG_ERROR`
    /// (ENOENT: the family is not registered, i.e. Jool is not loaded) is a `.kernel` error.
    public init(decoding message: NetlinkMessage) throws(JoolReplyError) {
        if message.isError {
            try JoolReply.check(message)
            throw .malformed(.unexpectedMessageType(message.type, expected: "an nlctrl NEWFAMILY reply, got an acknowledgement"))
        }
        do {
            try self.init(parsing: message)
        } catch {
            throw .malformed(error)
        }
    }

    private init(parsing message: NetlinkMessage) throws(NetlinkParseError) {
        guard message.type == NetlinkController.id else {
            throw .unexpectedMessageType(message.type, expected: "nlctrl (16)")
        }
        let generic = try message.genericMessage()
        guard generic.command == NetlinkController.commandNewFamily else {
            throw .unexpectedCommand(generic.command, expected: "CTRL_CMD_NEWFAMILY (1)")
        }
        let attributes = try NetlinkAttribute.parseSequence(generic.payload, context: "nlctrl reply")
        typealias A = NetlinkController.Attribute
        guard let idAttribute = attributes.first(type: A.familyID) else {
            throw .missingAttribute(type: A.familyID, context: "nlctrl reply")
        }
        self.init(id: try idAttribute.u16())
        name = attributes.first(type: A.familyName)?.string()
        version = try attributes.first(type: A.version)?.u32()
        headerSize = try attributes.first(type: A.headerSize)?.u32()
        maxAttribute = try attributes.first(type: A.maxAttribute)?.u32()
        if let groups = attributes.first(type: A.multicastGroups) {
            for group in try groups.nested() {
                let fields = try group.nested()
                typealias G = NetlinkController.MulticastGroupAttribute
                guard let groupName = fields.first(type: G.name)?.string() else {
                    throw .missingAttribute(type: G.name, context: "nlctrl multicast group")
                }
                guard let groupID = fields.first(type: G.id) else {
                    throw .missingAttribute(type: G.id, context: "nlctrl multicast group '\(groupName)'")
                }
                multicastGroups[groupName] = try groupID.u32()
            }
        }
    }
}

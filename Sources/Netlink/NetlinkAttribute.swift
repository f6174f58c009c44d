import CMnl

/// One netlink attribute, copied out of a received buffer. Parsing and value access
/// go through libmnl; lengths are checked first, so malformed input yields errors.
public struct NetlinkAttribute: Equatable, Sendable {
    /// Header and payload: exactly `nla_len` bytes (no trailing padding).
    public let bytes: [UInt8]

    /// The raw type, flags included (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`).
    public var rawType: UInt16 { withAttribute { $0.pointee.nla_type } }
    /// The type with flags masked off (`NLA_TYPE_MASK`).
    public var type: UInt16 { withAttribute { mnl_attr_get_type($0) } }
    public var hasNestedFlag: Bool { rawType & NetlinkConstants.attributeNested != 0 }
    public var payloadLength: Int { bytes.count - NetlinkConstants.attributeHeaderSize }
    public var payload: [UInt8] { Array(bytes[NetlinkConstants.attributeHeaderSize...]) }

    fileprivate init(copying attribute: UnsafePointer<nlattr>) {
        let length = Int(mnl_attr_get_len(attribute))
        bytes = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(attribute), count: length))
    }

    private func withAttribute<R>(_ body: (UnsafePointer<nlattr>) -> R) -> R {
        bytes.withUnsafeBytes { body($0.baseAddress!.assumingMemoryBound(to: nlattr.self)) }
    }

    private func requireExactPayload(_ size: Int, _ kind: String) throws(NetlinkParseError) {
        guard payloadLength == size else {
            throw .wrongAttributeLength(type: type, expected: "\(size) bytes (\(kind))", actual: payloadLength)
        }
    }

    public func u8() throws(NetlinkParseError) -> UInt8 {
        try requireExactPayload(1, "u8")
        return withAttribute { mnl_attr_get_u8($0) }
    }

    /// Host byte order, as netlink integers are.
    public func u16() throws(NetlinkParseError) -> UInt16 {
        try requireExactPayload(2, "u16")
        return withAttribute { mnl_attr_get_u16($0) }
    }

    public func u32() throws(NetlinkParseError) -> UInt32 {
        try requireExactPayload(4, "u32")
        return withAttribute { mnl_attr_get_u32($0) }
    }

    public func u64() throws(NetlinkParseError) -> UInt64 {
        try requireExactPayload(8, "u64")
        return withAttribute { mnl_attr_get_u64($0) }
    }

    /// The payload up to the first NUL (or all of it when there is none).
    public func string() -> String {
        let payload = self.payload
        let end = payload.firstIndex(of: 0) ?? payload.endIndex
        return String(decoding: payload[..<end], as: UTF8.self)
    }

    /// The payload parsed as a sequence of attributes.
    public func nested() throws(NetlinkParseError) -> [NetlinkAttribute] {
        try NetlinkAttribute.parseSequence(payload, context: "nested attribute \(type)")
    }

    /// Parses a concatenation of attributes (each 4-byte aligned). The last attribute
    /// may lack its alignment padding; anything else left over is an error.
    public static func parseSequence(_ bytes: [UInt8], context: String) throws(NetlinkParseError) -> [NetlinkAttribute] {
        let outcome: Result<[NetlinkAttribute], NetlinkParseError> = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return .success([]) }
            var attributes: [NetlinkAttribute] = []
            var cursor = base.assumingMemoryBound(to: nlattr.self)
            var remaining = raw.count
            while mnl_attr_ok(cursor, Int32(clamping: remaining)) {
                attributes.append(NetlinkAttribute(copying: cursor))
                let advance = Int(mnl_attr_get_len(cursor) + 3) & ~3
                remaining -= advance
                guard remaining > 0 else { break }
                cursor = UnsafePointer(mnl_attr_next(cursor))
            }
            guard remaining > 0 else { return .success(attributes) }
            if remaining < NetlinkConstants.attributeHeaderSize {
                return .failure(.trailingBytes(count: remaining, context: context))
            }
            let declared = Int(mnl_attr_get_len(cursor))
            if declared < NetlinkConstants.attributeHeaderSize {
                return .failure(.badAttributeLength(declaredLength: declared))
            }
            return .failure(.truncatedAttribute(type: mnl_attr_get_type(cursor),
                                                declaredLength: declared, available: remaining))
        }
        return try outcome.get()
    }
}

extension Array where Element == NetlinkAttribute {
    /// The first attribute of the given (masked) type.
    public func first(type: UInt16) -> NetlinkAttribute? {
        first { $0.type == type }
    }
}

import CMnl

/// Builds one netlink message with libmnl. The buffer grows as needed, so a put
/// never writes past its end.
public struct NetlinkMessageWriter {
    private var buffer: [UInt8]

    public init(type: UInt16, flags: UInt16, sequence: UInt32, portID: UInt32) {
        buffer = [UInt8](repeating: 0, count: 256)
        withHeader { header in
            let nlh = mnl_nlmsg_put_header(UnsafeMutableRawPointer(header))!
            nlh.pointee.nlmsg_type = type
            nlh.pointee.nlmsg_flags = flags
            nlh.pointee.nlmsg_seq = sequence
            nlh.pointee.nlmsg_pid = portID
        }
    }

    /// Current `nlmsg_len`.
    public var length: Int { Int(buffer.withUnsafeBytes { $0.load(as: nlmsghdr.self).nlmsg_len }) }

    /// `struct genlmsghdr` as an extra header.
    public mutating func putGenericHeader(command: UInt8, version: UInt8) {
        putExtraHeader([command, version, 0, 0])
    }

    public mutating func putExtraHeader(_ bytes: [UInt8]) {
        reserve(bytes.count)
        withHeader { header in
            let extra = mnl_nlmsg_put_extra_header(header, bytes.count)!
            bytes.withUnsafeBytes { extra.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        }
    }

    public mutating func putAttribute(type: UInt16, payload: [UInt8]) {
        reserve(NetlinkConstants.attributeHeaderSize + payload.count)
        withHeader { header in
            payload.withUnsafeBytes { mnl_attr_put(header, type, payload.count, $0.baseAddress) }
        }
    }

    public mutating func putU8(type: UInt16, _ value: UInt8) {
        reserve(8)
        withHeader { mnl_attr_put_u8($0, type, value) }
    }

    public mutating func putU16(type: UInt16, _ value: UInt16) {
        reserve(8)
        withHeader { mnl_attr_put_u16($0, type, value) }
    }

    public mutating func putU32(type: UInt16, _ value: UInt32) {
        reserve(8)
        withHeader { mnl_attr_put_u32($0, type, value) }
    }

    /// NUL-terminated string.
    public mutating func putString(type: UInt16, _ value: String) {
        reserve(NetlinkConstants.attributeHeaderSize + value.utf8.count + 1)
        withHeader { header in value.withCString { mnl_attr_put_strz(header, type, $0) } }
    }

    /// Opens a nest with `NLA_F_NESTED` set and returns its offset for `endNest`.
    public mutating func beginNest(type: UInt16) -> Int {
        reserve(NetlinkConstants.attributeHeaderSize)
        let offset = length
        withHeader { _ = mnl_attr_nest_start($0, type | NetlinkConstants.attributeNested) }
        return offset
    }

    public mutating func endNest(at offset: Int) {
        withHeader { header in
            let start = (UnsafeMutableRawPointer(header) + offset).assumingMemoryBound(to: nlattr.self)
            mnl_attr_nest_end(header, start)
        }
    }

    /// The finished message, `nlmsg_len` bytes.
    public func bytes() -> [UInt8] { Array(buffer.prefix(length)) }

    /// The bytes after the netlink header: used to build bare attribute records.
    public func bytesAfterHeader() -> [UInt8] { Array(buffer[NetlinkConstants.headerSize..<length]) }

    private mutating func reserve(_ extra: Int) {
        let needed = length + ((extra + 3) & ~3)
        if needed > buffer.count {
            buffer.append(contentsOf: repeatElement(0, count: max(needed - buffer.count, buffer.count)))
        }
    }

    private mutating func withHeader<R>(_ body: (UnsafeMutablePointer<nlmsghdr>) -> R) -> R {
        buffer.withUnsafeMutableBytes { body($0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)) }
    }
}

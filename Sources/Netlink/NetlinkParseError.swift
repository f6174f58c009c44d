/// Bytes that do not form the netlink structure we expected. Every parser in
/// this module reports malformed input with this type instead of trapping.
public enum NetlinkParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A netlink message header or body extends beyond the received bytes.
    case truncatedMessage(offset: Int, declaredLength: Int?, available: Int)
    /// A netlink message declares a length smaller than its own 16-byte header.
    case badMessageLength(offset: Int, declaredLength: Int)
    /// An attribute's declared length exceeds the bytes left in its parent.
    case truncatedAttribute(type: UInt16, declaredLength: Int, available: Int)
    /// An attribute declares a length smaller than its own 4-byte header.
    case badAttributeLength(declaredLength: Int)
    /// Bytes after the last complete element (too few to form another one).
    case trailingBytes(count: Int, context: String)
    case wrongAttributeLength(type: UInt16, expected: String, actual: Int)
    case missingAttribute(type: UInt16, context: String)
    case unexpectedAttribute(type: UInt16, context: String)
    case tooShort(length: Int, needed: Int, context: String)
    case unexpectedMessageType(UInt16, expected: String)
    case unexpectedCommand(UInt8, expected: String)
    case invalidValue(String)

    public var description: String {
        switch self {
        case let .truncatedMessage(offset, declared, available):
            if let declared {
                return "truncated netlink message at offset \(offset): it declares \(declared) bytes but only \(available) remain"
            }
            return "truncated netlink message at offset \(offset): \(available) bytes cannot hold a netlink header"
        case let .badMessageLength(offset, declared):
            return "malformed netlink message at offset \(offset): declared length \(declared) is smaller than its 16-byte header"
        case let .truncatedAttribute(type, declared, available):
            return "truncated attribute (type \(type)): it declares \(declared) bytes but only \(available) remain"
        case let .badAttributeLength(declared):
            return "malformed attribute: declared length \(declared) is smaller than its 4-byte header"
        case let .trailingBytes(count, context):
            return "\(count) stray trailing bytes in \(context)"
        case let .wrongAttributeLength(type, expected, actual):
            return "attribute \(type) has a \(actual)-byte payload; expected \(expected)"
        case let .missingAttribute(type, context):
            return "\(context) lacks attribute \(type)"
        case let .unexpectedAttribute(type, context):
            return "unexpected attribute \(type) in \(context)"
        case let .tooShort(length, needed, context):
            return "\(context) is too short: \(length) bytes, need at least \(needed)"
        case let .unexpectedMessageType(type, expected):
            return "unexpected netlink message type \(type); expected \(expected)"
        case let .unexpectedCommand(command, expected):
            return "unexpected generic netlink command \(command); expected \(expected)"
        case let .invalidValue(text):
            return text
        }
    }
}

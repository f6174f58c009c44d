import Netlink

public enum SessionCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(NetlinkParseError)
    case wrongRecordLength(record: Int, expected: Int, actual: Int)
    case missingField(record: Int, field: String)
    case fieldOutOfRange(record: Int, field: String, value: UInt32)
    /// F1 needs dst6, which F3 sessions do not carry.
    case missingDst6

    public var description: String {
        switch self {
        case let .malformed(error):
            return "malformed session payload: \(error)"
        case let .wrongRecordLength(record, expected, actual):
            return "session record \(record): payload of \(actual) bytes, expected \(expected)"
        case let .missingField(record, field):
            return "session record \(record): missing \(field)"
        case let .fieldOutOfRange(record, field, value):
            return "session record \(record): \(field) value \(value) is out of range"
        case .missingDst6:
            return "the session has no dst6, which the F1 format requires"
        }
    }
}

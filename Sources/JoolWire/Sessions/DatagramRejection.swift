/// Why a session datagram from the network was not passed to the kernel.
public enum DatagramRejectReason: String, Equatable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case empty
    case notMultipleOfRecordSize
    case wrongRecordLength
    case wrongRecordType
    case truncatedRecord
    /// F1 only: the nests inside a record are not laid out as the kernel writes them.
    case badInnerLayout
    case fieldOutOfRange
    case tooLarge
    /// The records have another format's size: a peer whose kernel is of another era.
    case wrongFormat

    /// Stable short name, for counters and logs.
    public var shortName: String {
        switch self {
        case .empty: return "empty"
        case .notMultipleOfRecordSize: return "not-multiple-of-record-size"
        case .wrongRecordLength: return "wrong-record-length"
        case .wrongRecordType: return "wrong-record-type"
        case .truncatedRecord: return "truncated-record"
        case .badInnerLayout: return "bad-inner-layout"
        case .fieldOutOfRange: return "field-out-of-range"
        case .tooLarge: return "too-large"
        case .wrongFormat: return "wrong-format"
        }
    }

    public var description: String {
        switch self {
        case .empty: return "the datagram is empty"
        case .notMultipleOfRecordSize: return "the datagram length is not a multiple of the session record size"
        case .wrongRecordLength: return "a session record has the wrong length"
        case .wrongRecordType: return "a session record has the wrong attribute type"
        case .truncatedRecord: return "a session record extends beyond the end of the datagram"
        case .badInnerLayout: return "a session record's nested attributes are not laid out as the kernel writes them"
        case .fieldOutOfRange: return "a session field (protocol, TCP state, timer or packed bits) is out of range"
        case .tooLarge: return "the datagram is larger than \(SessionDatagram.maxSize) bytes"
        case .wrongFormat: return "the datagram is in another session format (peer runs a kernel of another Jool era)"
        }
    }
}

/// A rejection with the details for the log.
public struct DatagramRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: DatagramRejectReason
    /// Zero-based index of the offending record, when one is to blame.
    public let record: Int?
    public let detail: String

    public init(_ reason: DatagramRejectReason, record: Int? = nil, detail: String) {
        self.reason = reason
        self.record = record
        self.detail = detail
    }

    public var description: String {
        let location = record.map { " (record \($0))" } ?? ""
        return "\(reason.description)\(location): \(detail)"
    }
}

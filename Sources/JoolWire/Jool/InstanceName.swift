/// A Jool instance name that the kernel will accept: 1 to 15 printable ASCII bytes
/// (32...126), so that it fits NUL-terminated in the header's 16-byte field.
public struct InstanceName: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public static let `default` = try! InstanceName("default")

    public init(_ value: String) throws(InstanceNameError) {
        let bytes = Array(value.utf8)
        if bytes.isEmpty { throw .empty }
        if bytes.count > JoolNetlink.instanceNameBufferSize - 1 {
            throw .tooLong(value, length: bytes.count)
        }
        if let bad = bytes.first(where: { $0 < 32 || $0 > 126 }) {
            throw .invalidCharacter(value, byte: bad)
        }
        self.value = value
    }

    /// The 16-byte header field: the name, then zeros.
    public var headerBytes: [UInt8] {
        var field = Array(value.utf8)
        field.append(contentsOf: repeatElement(0, count: JoolNetlink.instanceNameBufferSize - field.count))
        return field
    }

    public var description: String { value }
}

public enum InstanceNameError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(String, length: Int)
    case invalidCharacter(String, byte: UInt8)

    public var description: String {
        switch self {
        case .empty:
            return "the instance name is empty"
        case let .tooLong(name, length):
            return "the instance name '\(name)' is \(length) bytes long; the maximum is 15"
        case let .invalidCharacter(name, byte):
            return "the instance name '\(name)' contains byte 0x\(hex(byte)); only printable ASCII is allowed"
        }
    }
}

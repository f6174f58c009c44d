/// `JOOLD_MAX_PAYLOAD`: the real daemons' receive buffer; never send a larger datagram.
public let maxDatagramSize = 2048

/// Facts and helpers about session datagrams.
public enum SessionDatagram {
    public static let maxSize = maxDatagramSize

    /// Groups encoded records into datagram payloads of at most `maxRecords` records
    /// and `maxBytes` bytes, keeping their order. Records are never split.
    public static func pack(_ records: [[UInt8]], maxRecords: Int,
                            maxBytes: Int = maxSize) throws(DatagramPackingError) -> [[UInt8]] {
        guard maxRecords > 0 else { throw .invalidLimit(maxRecords: maxRecords) }
        var datagrams: [[UInt8]] = []
        var current: [UInt8] = []
        var inCurrent = 0
        for (index, record) in records.enumerated() {
            guard record.count <= maxBytes else {
                throw .recordTooLarge(index: index, size: record.count, maxBytes: maxBytes)
            }
            if inCurrent == maxRecords || current.count + record.count > maxBytes {
                datagrams.append(current)
                current = []
                inCurrent = 0
            }
            current += record
            inCurrent += 1
        }
        if inCurrent > 0 { datagrams.append(current) }
        return datagrams
    }
}

public enum DatagramPackingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidLimit(maxRecords: Int)
    case recordTooLarge(index: Int, size: Int, maxBytes: Int)

    public var description: String {
        switch self {
        case let .invalidLimit(maxRecords):
            return "records per datagram must be positive (got \(maxRecords))"
        case let .recordTooLarge(index, size, maxBytes):
            return "record \(index) is \(size) bytes, more than a datagram may carry (\(maxBytes))"
        }
    }
}

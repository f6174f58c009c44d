import Netlink

/// Checks a datagram from a peer before it becomes a `JOOLD_ADD`
/// (docs/jool-kernel-protocol.md §11.6): nothing on the UDP wire says which format it
/// carries, and a 4.1.15 kernel installs F1 records as bogus sessions, while a 4.1.9
/// kernel crashes on F1 records that lack a port.
public struct DatagramValidator: Sendable {
    /// What the local kernel speaks.
    public let format: SessionFormat

    public init(format: SessionFormat) {
        self.format = format
    }

    /// Returns the number of records, or throws why the datagram must be dropped.
    @discardableResult
    public func validate(_ payload: [UInt8]) throws(DatagramRejection) -> Int {
        let outcome = payload.withUnsafeBytes { raw -> Result<Int, DatagramRejection> in
            do throws(DatagramRejection) { return .success(try validate(raw)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }

    /// The same, on bytes read in place (a receive buffer): no copy, and no allocation
    /// for records of the expected layout.
    @discardableResult
    public func validate(_ payload: UnsafeRawBufferPointer) throws(DatagramRejection) -> Int {
        guard !payload.isEmpty else { throw DatagramRejection(.empty, detail: "0 bytes") }
        guard payload.count <= SessionDatagram.maxSize else {
            throw DatagramRejection(.tooLarge, detail: "\(payload.count) bytes")
        }
        let size = format.recordSize
        if payload.count >= 4, let other = otherFormat(recordLength: attributeHeader(payload, at: 0).length) {
            throw DatagramRejection(.wrongFormat, record: 0,
                                    detail: "first record is \(other.recordSize) bytes long (\(other)); expected \(format)")
        }
        guard payload.count % size == 0 else {
            throw DatagramRejection(.notMultipleOfRecordSize, detail: "\(payload.count) bytes, records are \(size) bytes")
        }
        let count = payload.count / size
        for index in 0..<count {
            let offset = index * size
            let length = attributeHeader(payload, at: offset).length
            if length > payload.count - offset {
                throw DatagramRejection(.truncatedRecord, record: index,
                                        detail: "declares \(length) bytes, \(payload.count - offset) remain")
            }
            guard length == size else {
                throw DatagramRejection(.wrongRecordLength, record: index, detail: "\(length) bytes, expected \(size)")
            }
            let record = UnsafeRawBufferPointer(rebasing: payload[offset..<offset + size])
            switch format {
            case .f1:
                // The detailed validator only for records the fast check does not accept.
                if !F1RecordFastCheck.accepts(record) { try F1RecordValidator.validate(Array(record), index: index) }
            case .f2, .f3: try validatePacked(record, index: index)
            }
        }
        return count
    }

    /// The format whose record size `length` is, when that is not the expected one.
    private func otherFormat(recordLength length: Int) -> SessionFormat? {
        // A switch, not allCases.first: allCases builds an array per call.
        let found: SessionFormat
        switch length {
        case SessionFormat.f1.recordSize: found = .f1
        case SessionFormat.f2.recordSize: found = .f2
        case SessionFormat.f3.recordSize: found = .f3
        default: return nil
        }
        return found == format ? nil : found
    }

    /// F2/F3: type 1 (flags masked) and a valid packed word at the end of the record.
    private func validatePacked(_ record: UnsafeRawBufferPointer, index: Int) throws(DatagramRejection) {
        let type = attributeHeader(record, at: 0).rawType
        guard type & NetlinkConstants.attributeTypeMask == JoolNetlink.listEntry else {
            throw DatagramRejection(.wrongRecordType, record: index, detail: "type 0x\(hex16(type)), expected 0x0001")
        }
        let word = UInt16(record[record.count - 2]) << 8 | UInt16(record[record.count - 1])
        // The common case without a throwing decode per record: bits 15-7 zero, proto
        // ≤ 2 (bits 6-5), TCP state ≤ 6 (bits 4-2), timer ≤ 2 (bits 1-0).
        if word >> 7 == 0, word >> 5 & 3 <= 2, word >> 2 & 7 <= 6, word & 3 <= 2 { return }
        do {
            _ = try PackedSessionWord.unpack(word, record: index)
        } catch {
            throw DatagramRejection(.fieldOutOfRange, record: index, detail: "packed word 0x\(hex16(word)): \(error)")
        }
    }
}

/// The `nla_len` and raw `nla_type` of the attribute header at `offset` (at least 4
/// bytes available).
func attributeHeader(_ bytes: [UInt8], at offset: Int) -> (length: Int, rawType: UInt16) {
    bytes.withUnsafeBytes { attributeHeader($0, at: offset) }
}

/// The same read in place (`nla_len` and `nla_type`, host order, as libmnl reads them).
func attributeHeader(_ raw: UnsafeRawBufferPointer, at offset: Int) -> (length: Int, rawType: UInt16) {
    (Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)),
     raw.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self))
}

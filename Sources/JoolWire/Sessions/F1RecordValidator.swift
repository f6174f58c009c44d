import Netlink

/// Checks one 140-byte F1 record against the layout of docs/jool-kernel-protocol.md
/// §11.2, which is what a ≥ 5.2 kernel's strict parser (and a 4.1.9 kernel without
/// crashing) accepts.
enum F1RecordValidator {
    typealias S = JoolNetlink.SessionEntryAttribute
    typealias T = JoolNetlink.TransportAddressAttribute

    /// (type, nla_len) of the eight fields, in the order the kernel writes them.
    private static let layout: [(type: UInt16, length: Int)] = [
        (S.src6, 32), (S.dst6, 32), (S.src4, 20), (S.dst4, 20),
        (S.proto, 5), (S.state, 5), (S.timer, 5), (S.expiration, 8),
    ]

    static func validate(_ record: [UInt8], index: Int) throws(DatagramRejection) {
        let entryType = attributeHeader(record, at: 0).rawType
        guard entryType & ~NetlinkConstants.attributeNested == JoolNetlink.listEntry else {
            throw DatagramRejection(.wrongRecordType, record: index,
                                    detail: "type 0x\(hex16(entryType)), expected 0x8001 or 0x0001")
        }
        let fields = try parse(Array(record[4...]), index: index, what: "record")
        guard fields.map(\.type) == layout.map(\.type), fields.map(\.bytes.count) == layout.map(\.length) else {
            throw inner(index, "fields (type:length) are \(describe(fields)), expected 1:32 2:32 3:20 4:20 5:5 6:5 7:5 8:8")
        }
        for (position, field) in fields.enumerated() {
            let isNest = position < 4
            let flags = field.rawType & ~NetlinkConstants.attributeTypeMask
            if flags != 0, !(isNest && flags == NetlinkConstants.attributeNested) {
                throw inner(index, "attribute \(field.type) carries flags 0x\(hex16(flags))")
            }
            if isNest { try validateAddress(field, addressLength: position < 2 ? 16 : 4, index: index) }
        }
        try checkRange(fields[4], max: 2, "proto", index: index)
        try checkRange(fields[5], max: 6, "TCP state", index: index)
        try checkRange(fields[6], max: 2, "timer", index: index)
    }

    /// ADDR (exact size) then PORT (u16), no flags on either.
    private static func validateAddress(_ nest: NetlinkAttribute, addressLength: Int,
                                        index: Int) throws(DatagramRejection) {
        let parts = try parse(nest.payload, index: index, what: "address nest \(nest.type)")
        guard parts.count == 2,
              parts[0].rawType == T.address, parts[0].payloadLength == addressLength,
              parts[1].rawType == T.port, parts[1].payloadLength == 2 else {
            throw inner(index, "address nest \(nest.type) holds \(describe(parts)), expected ADDR(1):\(addressLength + 4) PORT(2):6")
        }
    }

    private static func checkRange(_ field: NetlinkAttribute, max: UInt8, _ name: String,
                                   index: Int) throws(DatagramRejection) {
        let value = field.payload[0]
        guard value <= max else {
            throw DatagramRejection(.fieldOutOfRange, record: index, detail: "\(name) is \(value), maximum \(max)")
        }
    }

    private static func parse(_ bytes: [UInt8], index: Int, what: String) throws(DatagramRejection) -> [NetlinkAttribute] {
        do {
            return try NetlinkAttribute.parseSequence(bytes, context: what)
        } catch {
            throw inner(index, "\(what): \(error)")
        }
    }

    private static func inner(_ index: Int, _ detail: String) -> DatagramRejection {
        DatagramRejection(.badInnerLayout, record: index, detail: detail)
    }

    private static func describe(_ attributes: [NetlinkAttribute]) -> String {
        attributes.isEmpty ? "nothing" : attributes.map { "\($0.type):\($0.bytes.count)" }.joined(separator: " ")
    }
}

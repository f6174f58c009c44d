import CBenchDriver
import JoolSimulator
import JoolWire

/// The bytes one relay run sends, built once before the clock starts: a session
/// packet as the kernel multicasts it, a datagram as a peer sends it, and what the
/// floor loop answers with (ACK; the head of an ADD).
struct Payloads {
    let format: SessionFormat
    let version: JoolVersion
    let sessionsPerPacket: Int
    /// The datagram payload: `sessionsPerPacket` valid records (they pass validation).
    let records: [UInt8]
    /// The kernel's session packet carrying `records`.
    let kernelPacket: [UInt8]
    /// Where the packet number goes (inside the first record, after its attribute header).
    let indexOffset: Int
    let ackMessage: [UInt8]
    /// nlmsghdr, genl header, Jool header and an empty container: 52 bytes.
    let addHead: [UInt8]

    /// The kernel's defaults: 4.1.9 fills ss-max-payload (1452 bytes) with 140-byte F1
    /// records, 10 of them; 4.1.13+ sends up to ss-max-sessions-per-packet (36) F3 records.
    static func forKernel(_ version: JoolVersion) throws -> Payloads {
        let format = version.sessionFormat
        let count = format == .f1 ? 1452 / format.recordSize : 36
        let records = try (0..<count).flatMap { try SessionCodec.encode(session($0), format: format) }
        let packet = SimulatedJool.sessionPacket(version: version, payload: records)
        let requests = JoolRequestBuilder(familyID: SimulatedJool.familyID, portID: 0,
                                          instance: try InstanceName("default"), version: version)
        return Payloads(format: format, version: version, sessionsPerPacket: count, records: records,
                        kernelPacket: packet, indexOffset: packet.count - records.count + 4,
                        ackMessage: requests.ack(sequence: 1),
                        addHead: try requests.add(sequence: 1, sessionEntries: []))
    }

    var classify: bench_classify {
        bench_classify(family_id: SimulatedJool.familyID,
                       ack_command: JoolNetlink.Command.jooldAck.rawValue,
                       add_command: JoolNetlink.Command.jooldAdd.rawValue)
    }

    private static func session(_ index: Int) -> Session {
        Session(proto: .udp, state: .established, timer: .established,
                src6: .init(address: IPv6Address("2001:db8::8")!, port: UInt16(40000 + index)),
                dst6: .init(address: IPv6Address("64:ff9b::c000:208")!, port: 5000),
                src4: .init(address: IPv4Address("192.0.2.1")!, port: UInt16(61001 + index)),
                dst4: .init(address: IPv4Address("192.0.2.8")!, port: 5000),
                expirationMilliseconds: 299_000)
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

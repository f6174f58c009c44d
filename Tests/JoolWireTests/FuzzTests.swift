@testable import JoolWire
@testable import Netlink
import NetworkTestSupport
import Testing

/// Random and mutated bytes through every parser: each must return or throw, never trap.
@Suite struct FuzzTests {
    static let seeds: [[UInt8]] = {
        let builder = JoolRequestBuilder(familyID: 0x22, portID: 1, instance: .default)
        var session = exampleSession
        session.dst6 = .init(address: IPv6Address("64:ff9b::c000:208")!, port: 1234)
        let f1 = try! F1SessionCodec.encode(session)
        let f3 = F3SessionCodec.encode(session)
        let multicast = kernelJoolMessage(header: JoolHeader(version: .v4_1_15, instanceName: "default")) {
            $0.putAttribute(type: 0x8007, payload: f3 + f3)
        }
        let f1Multicast = kernelJoolMessage(header: JoolHeader(version: .v4_1_9, instanceName: "default")) {
            $0.putAttribute(type: 0x8007, payload: f1)
        }
        return [builder.ack(sequence: 1), try! builder.add(sequence: 2, sessionEntries: f3),
                try! builder.globalUpdate(sequence: 3, settings: [.enabled(true), .capacity(9)]),
                GenericFamilyRequest.getFamily(sequence: 4), multicast, f1Multicast, f1 + f1, f3 + f3 + f3]
    }()

    func exercise(_ bytes: [UInt8]) {
        for format in SessionFormat.allCases {
            _ = try? DatagramValidator(format: format).validate(bytes)
            _ = try? SessionCodec.decode(bytes, format: format)
        }
        _ = try? NetlinkAttribute.parseSequence(bytes, context: "fuzz")
        _ = try? JoolHeader(decoding: bytes)
        for message in NetlinkMessage.split(bytes).messages {
            _ = try? message.errorReport()
            _ = try? message.genericMessage()
            _ = try? GenericFamilyInfo(decoding: message)
            _ = try? KernelSessionPacket(decoding: message, expecting: .v4_1_15, instance: .default)
            _ = try? GlobalsSnapshot(decoding: message)
            _ = try? InstanceStatus(decoding: message)
            if let jool = try? JoolMessage(message) {
                _ = try? jool.kernelError()
                for attribute in jool.attributes {
                    _ = try? attribute.nested()
                    _ = try? attribute.u8()
                    _ = try? attribute.u16()
                    _ = try? attribute.u32()
                    _ = try? attribute.u64()
                    _ = attribute.string()
                }
            }
        }
    }

    @Test func randomBytes() {
        var random = SplitMix64(seed: 1)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...300, using: &random)
            exercise((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
    }

    @Test func mutatedValidMessages() {
        var random = SplitMix64(seed: 2)
        for seed in Self.seeds {
            for _ in 0..<1500 {
                var bytes = seed
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0...3, using: &random) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &random)
                    case 2: bytes = Array(bytes.prefix(index))
                    default: bytes[index] = [0, 1, 4, 0x80, 0xff][Int.random(in: 0...4, using: &random)]
                    }
                    if bytes.isEmpty { break }
                }
                exercise(bytes)
            }
        }
    }

    @Test func everyTruncationOfEverySeed() {
        for seed in Self.seeds {
            for length in 0...seed.count { exercise(Array(seed.prefix(length))) }
        }
    }
}

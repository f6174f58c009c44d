import Glibc
import JoolWire
import Netlink

/// How the simulated kernel answers one Jool request, after the rules of the real
/// handlers (docs/jool-kernel-protocol.md §6 to §10).
struct JoolRequestHandler {
    let simulator: SimulatedJool
    let message: NetlinkMessage
    let jool: JoolMessage
    let header: [UInt8]

    func answer() -> [UInt8]? {
        guard jool.header.version.isCompatible(with: simulator.version) else {
            return error(EINVAL, "Version mismatch. The userspace client's version is \(jool.header.version), the kernel module's is \(simulator.version).")
        }
        let nat64 = jool.header.translatorType == JoolNetlink.TranslatorType.nat64
        guard nat64 || jool.header.translatorType == JoolNetlink.TranslatorType.siit else {
            return error(EINVAL, "Unknown translator type: \(jool.header.translatorType)")
        }
        let name = jool.header.instanceName
        switch JoolNetlink.Command(rawValue: jool.command) {
        case .instanceHello?:
            let alive = simulator.instance(named: name, nat64: nat64) != nil
            return reply { $0.putU8(type: JoolNetlink.InstanceStatusAttribute.status,
                                    alive ? JoolNetlink.InstanceStatusAttribute.alive : JoolNetlink.InstanceStatusAttribute.absent) }
        case .globalForeach?:
            guard let instance = simulator.instance(named: name, nat64: nat64) else { return missing(name) }
            return reply { writer in
                let pool6 = writer.beginNest(type: JoolNetlink.GlobalID.pool6)
                writer.putAttribute(type: JoolNetlink.PrefixAttribute.address, payload: [0, 0x64, 0xff, 0x9b] + [UInt8](repeating: 0, count: 12))
                writer.putU8(type: JoolNetlink.PrefixAttribute.length, 96)
                writer.endNest(at: pool6)
                writer.putU8(type: JoolNetlink.GlobalID.ssEnabled, instance.ssEnabled ? 1 : 0)
                writer.putU32(type: JoolNetlink.GlobalID.ssFlushDeadline, 2000)
                writer.putU32(type: JoolNetlink.GlobalID.ssCapacity, 512)
            }
        case .globalUpdate?:
            guard simulator.instance(named: name, nat64: nat64) != nil else { return missing(name) }
            guard let globals = jool.attributes.first(where: { $0.type == JoolNetlink.RootAttribute.globals }),
                  globals.hasNestedFlag, let values = try? globals.nested() else {
                return simulator.netlinkError(EINVAL, message)
            }
            if let enabled = values.first(where: { $0.type == JoolNetlink.GlobalID.ssEnabled }), let value = try? enabled.u8() {
                simulator.setSSEnabled(value != 0, instance: name)
            }
            return reply { _ in }
        case .jooldAdd?:
            guard let instance = simulator.instance(named: name, nat64: true) else { return missing(name) }
            guard let container = jool.attributes.first, container.rawType == JoolNetlink.RootAttribute.sessionEntries | NetlinkConstants.attributeNested else {
                simulator.note { $0.violations.append("JOOLD_ADD without a NLA_F_NESTED session container (the real kernel would crash or reject it)") }
                return simulator.netlinkError(EINVAL, message)
            }
            guard instance.ssEnabled else { return error(EINVAL, "Session sync is disabled on this instance.") }
            simulator.note { $0.adds.append(.init(instance: name, payload: container.payload, message: message.bytes)) }
            return nil
        case .jooldAck?:
            guard simulator.instance(named: name, nat64: true) != nil else { return missing(name) }
            simulator.note { $0.acks += 1 }
            return nil
        case .sessionForeach?:
            return sessionForeach()
        case .jooldAdvertise?:
            guard simulator.instance(named: name, nat64: true) != nil else { return missing(name) }
            simulator.note { $0.advertisements += 1 }
            return reply { _ in }
        default:
            return simulator.netlinkError(EOPNOTSUPP, message)
        }
    }

    private func reply(_ attributes: (inout NetlinkMessageWriter) -> Void) -> [UInt8] {
        KernelMessages.reply(to: message, header: header, attributes)
    }

    func error(_ code: Int32, _ text: String) -> [UInt8] {
        KernelMessages.joolError(UInt16(code), text, to: message, header: header)
    }

    func missing(_ name: String) -> [UInt8] {
        error(ESRCH, "This namespace lacks an instance named '\(name.isEmpty ? "default" : name)'.")
    }
}

extension SimulatedJool {
    func netlinkError(_ code: Int32, _ message: NetlinkMessage) -> [UInt8] {
        KernelMessages.netlinkError(code, to: message)
    }
}

extension NetlinkMessage {
    /// The message as it was on the wire.
    var bytes: [UInt8] {
        var writer = NetlinkMessageWriter(type: type, flags: flags, sequence: sequence, portID: portID)
        writer.putExtraHeader(payload)
        return writer.bytes()
    }
}

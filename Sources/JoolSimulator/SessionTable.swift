import Glibc
import JoolWire
import Netlink

/// What identifies a session in a kernel table: its protocol and its IPv4 pair (the
/// kernel keeps one session per BIB entry (src4) and remote (dst4)), ordered as
/// `bib_foreach_session` walks the tables.
struct SessionKey: Hashable, Comparable {
    let proto: UInt8
    let pair: SessionTableOffset

    init(_ session: Session) {
        proto = session.proto.rawValue
        pair = SessionTableOffset(after: session)
    }

    static func < (lhs: SessionKey, rhs: SessionKey) -> Bool {
        lhs.proto != rhs.proto ? lhs.proto < rhs.proto : lhs.pair < rhs.pair
    }
}

/// `handle_session_foreach` (src/mod/common/nl/session.c@v4.1.9): JNLAR_PROTO is
/// required; JNLAR_OFFSET, when present, is a session entry of which only the SRC4 and
/// DST4 nests are read, and the page continues strictly after that pair. Each session
/// is a top-level F1 JNLAL_ENTRY; the M flag says the page was full and more follow.
extension JoolRequestHandler {
    func sessionForeach() -> [UInt8] {
        let name = jool.header.instanceName.isEmpty ? JoolNetlink.defaultInstanceName : jool.header.instanceName
        guard jool.header.translatorType == JoolNetlink.TranslatorType.nat64 else {
            return error(EINVAL, "This operation is not available in SIIT mode.")
        }
        guard simulator.instance(named: name, nat64: true) != nil else { return missing(name) }
        guard let protoAttribute = jool.attributes.first(type: JoolNetlink.RootAttribute.proto) else {
            return error(EINVAL, "The request is missing a transport protocol.")
        }
        // Strict policy (kernels >= 5.2): a u8 of another size is refused before Jool sees it.
        guard protoAttribute.rawType == JoolNetlink.RootAttribute.proto, let raw = try? protoAttribute.u8() else {
            return simulator.netlinkError(EINVAL, message)
        }
        // bib_foreach_session: no table for that protocol -> -EINVAL, no message.
        guard let proto = Session.TransportProtocol(rawValue: raw) else { return error(EINVAL, "") }
        var offset: SessionTableOffset?
        if let attribute = jool.attributes.first(type: JoolNetlink.RootAttribute.offset) {
            guard attribute.hasNestedFlag else { return simulator.netlinkError(EINVAL, message) }
            switch parseOffset(attribute) {
            case let .offset(parsed): offset = parsed
            case let .refused(answer): return answer
            }
        }
        let table = simulator.sessions(instance: name).filter { $0.proto == proto }
        let remaining = offset.map { after in table.filter { SessionTableOffset(after: $0) > after } } ?? table
        let page = Array(remaining.prefix(simulator.sessionsPerPage))
        let more = remaining.count > page.count
        simulator.note {
            $0.sessionForeaches.append(.init(instance: name, proto: proto, offset: offset, sessions: page.count, more: more))
        }
        return KernelMessages.reply(to: message, header: header, flags: more ? JoolNetlink.HeaderFlags.more : 0) { writer in
            for session in page {
                // Sessions of the table always have dst6 (setSessions fills it in).
                if let record = try? SessionCodec.encode(session, format: .f1) { writer.putExtraHeader(record) }
            }
        }
    }

    /// `parse_offset` with jnla_parse_nested's strictness: the SRC4/DST4 nests need
    /// NLA_F_NESTED and hold ADDR (4 bytes) and PORT (u16). Missing SRC4/DST4 count as
    /// 0.0.0.0#0 (the kernel zeroes the offset first).
    private enum ParsedOffset {
        case offset(SessionTableOffset)
        /// The kernel's answer to a bad offset.
        case refused([UInt8])
    }

    private func parseOffset(_ attribute: NetlinkAttribute) -> ParsedOffset {
        typealias S = JoolNetlink.SessionEntryAttribute
        typealias T = JoolNetlink.TransportAddressAttribute
        guard let fields = try? attribute.nested() else { return .refused(simulator.netlinkError(EINVAL, message)) }
        var endpoints: [Session.IPv4Endpoint] = []
        for (type, what) in [(S.src4, "IPv4 source address"), (S.dst4, "IPv4 destination address")] {
            guard let nest = fields.first(type: type) else {
                endpoints.append(.init(address: IPv4Address(bytes: [0, 0, 0, 0])!, port: 0))
                continue
            }
            guard nest.hasNestedFlag, let inner = try? nest.nested() else {
                return .refused(error(EINVAL, "The '\(what)' attribute is malformed."))
            }
            guard let port = inner.first(type: T.port) else {
                simulator.note { $0.violations.append("SESSION_FOREACH offset whose \(what) lacks JNLAT_PORT (4.1.9 dereferences NULL)") }
                return .refused(simulator.netlinkError(EINVAL, message))
            }
            guard let address = inner.first(type: T.address), let value = IPv4Address(bytes: address.payload),
                  let portValue = try? port.u16() else {
                return .refused(error(EINVAL, "The '\(what)' attribute is malformed."))
            }
            endpoints.append(.init(address: value, port: portValue))
        }
        return .offset(SessionTableOffset(src4: endpoints[0], dst4: endpoints[1]))
    }
}

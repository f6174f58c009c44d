import Netlink

/// Where `JNLOP_SESSION_FOREACH` continues: the IPv4 side of the last session of the
/// previous page. The kernel reads nothing else from the offset (`parse_offset` in
/// src/mod/common/nl/session.c@v4.1.9 takes only `JNLASE_SRC4` and `JNLASE_DST4` and
/// clears `include_offset`), and continues strictly after that pair in its table order
/// (`find_session_offset`, src/mod/common/db/bib/db.c@v4.1.9): BIB entries by src4,
/// then each BIB's sessions by dst4, each address compared as bytes (network order)
/// and then the port. The pair identifies one session per protocol.
public struct SessionTableOffset: Equatable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var src4: Session.IPv4Endpoint
    public var dst4: Session.IPv4Endpoint

    public init(src4: Session.IPv4Endpoint, dst4: Session.IPv4Endpoint) {
        self.src4 = src4
        self.dst4 = dst4
    }

    /// The offset that continues after `session`.
    public init(after session: Session) {
        self.init(src4: session.src4, dst4: session.dst4)
    }

    /// The kernel's table order (`taddr4_compare`: memcmp of the address, then the port).
    public static func < (lhs: SessionTableOffset, rhs: SessionTableOffset) -> Bool {
        func key(_ endpoint: Session.IPv4Endpoint) -> UInt64 {
            endpoint.address.bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } << 16 | UInt64(endpoint.port)
        }
        let (l1, r1) = (key(lhs.src4), key(rhs.src4))
        return l1 != r1 ? l1 < r1 : key(lhs.dst4) < key(rhs.dst4)
    }

    public var description: String {
        "\(src4.address)#\(src4.port) \(dst4.address)#\(dst4.port)"
    }
}

/// One reply to `JNLOP_SESSION_FOREACH`. The kernel writes every session with
/// `jnla_put_session(skb, JNLAL_ENTRY, …)` straight after the Jool header: the
/// records are top-level `JNLAL_ENTRY` attributes in the F1 nested layout (140 bytes each,
/// docs/jool-kernel-protocol.md §8.3 and §11.2), in 4.1.15 as in 4.1.9 — there is no
/// `JNLAR_SESSION_ENTRIES` container in this reply (`handle_session_foreach`,
/// src/mod/common/nl/session.c; `jresponse_init`/`jresponse_send_array`,
/// src/mod/common/nl/nl_core.c@v4.1.9; the userspace reader iterates the attributes
/// after the header, `joolnl_session_foreach` in src/usr/nl/session.c). A container of
/// type `JNLAR_SESSION_ENTRIES` is accepted as well, in case a kernel ever adds one.
/// The M header flag says that more sessions follow: ask again with the last one as
/// the offset.
public struct SessionTablePage: Equatable, Sendable {
    /// The sessions, in the kernel's table order.
    public let sessions: [Session]
    /// The records as the kernel wrote them (each a whole F1 `JNLAL_ENTRY` attribute).
    public let records: [[UInt8]]
    /// The M flag: the kernel stopped because its reply was full.
    public let more: Bool

    /// Where the next request continues; nil on an empty page.
    public var nextOffset: SessionTableOffset? { sessions.last.map(SessionTableOffset.init(after:)) }

    /// Decodes the reply; an `NLMSG_ERROR` or a Jool error reply is `.kernel`.
    public init(decoding message: NetlinkMessage) throws(JoolReplyError) {
        try self.init(reply: JoolReply.parse(message))
    }

    public init(reply: JoolMessage) throws(JoolReplyError) {
        try reply.requireSuccess()
        var entries = reply.attributes
        if let container = entries.first(type: JoolNetlink.RootAttribute.sessionEntries) {
            do { entries = try container.nested() } catch { throw .malformed(error) }
        }
        var sessions: [Session] = []
        var records: [[UInt8]] = []
        for (index, entry) in entries.enumerated() {
            guard entry.type == JoolNetlink.listEntry else {
                throw .malformed(.unexpectedAttribute(type: entry.type, context: "session foreach reply (record \(index))"))
            }
            do {
                sessions.append(try F1SessionCodec.decode(entry, index: index))
            } catch {
                throw .malformed(.invalidValue("session foreach reply: \(error)"))
            }
            records.append(entry.bytes)
        }
        more = reply.header.hasMore
        // The kernel never sets M on an empty reply (it answers EINVAL instead); asking
        // again with no offset would loop.
        if more && sessions.isEmpty {
            throw .malformed(.invalidValue("session foreach reply has the M flag but no session"))
        }
        self.sessions = sessions
        self.records = records
    }
}

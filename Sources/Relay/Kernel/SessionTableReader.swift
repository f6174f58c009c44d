import JoolWire

/// Reads the session table of one NAT64 instance with `JNLOP_SESSION_FOREACH`: the TCP
/// table, then UDP, then ICMP, each page by page (a page continues after the last
/// session of the previous one, until a reply comes without the M flag). Sessions
/// come in the F1 nested layout whatever the kernel's version, so they carry dst6.
///
/// One page is one request and its reply through `KernelLink.request`, which hands
/// what else the kernel sends meanwhile to the relay. The table is not a snapshot:
/// sessions created or expired between two pages may or may not be seen, as with
/// `jool session display`.
public final class SessionTableReader {
    public let link: KernelLink
    /// The protocols still to read come from here, in order.
    public let protocols: [Session.TransportProtocol]
    /// Read at every request, so a family id changed by a module reload is followed.
    private let requests: () -> JoolRequestBuilder
    private var protocolIndex = 0
    private var offset: SessionTableOffset?
    public private(set) var pagesRead = 0
    public private(set) var sessionsRead = 0

    public init(link: KernelLink, protocols: [Session.TransportProtocol] = Session.TransportProtocol.allCases,
                requests: @escaping () -> JoolRequestBuilder) {
        self.link = link
        self.protocols = protocols
        self.requests = requests
    }

    public convenience init(link: KernelLink, requests: JoolRequestBuilder,
                            protocols: [Session.TransportProtocol] = Session.TransportProtocol.allCases) {
        self.init(link: link, protocols: protocols) { requests }
    }

    /// The reader of `worker`'s instance.
    public convenience init(worker: SyncWorker) {
        self.init(link: worker.link) { [unowned worker] in worker.requests }
    }

    /// True once the last page of the last protocol was read.
    public var isFinished: Bool { protocolIndex >= protocols.count }

    /// The protocol the next page belongs to; nil when finished.
    public var currentProtocol: Session.TransportProtocol? { isFinished ? nil : protocols[protocolIndex] }

    /// Reads the next page (possibly empty, when a table is); nil when finished.
    public func nextPage() throws(KernelLinkError) -> SessionTablePage? {
        guard let proto = currentProtocol else { return nil }
        let what = "the \(proto) session table" + (offset.map { " (after \($0))" } ?? "")
        let reply = try link.request(what) { [requests, offset] in
            requests().sessionForeach(sequence: $0, proto: proto, after: offset)
        }
        let page: SessionTablePage
        do {
            page = try SessionTablePage(decoding: reply)
        } catch let .kernel(error) {
            throw .kernel(request: what, error)
        } catch {
            throw .malformedReply(request: what, error.description)
        }
        if let stray = page.sessions.first(where: { $0.proto != proto }) {
            throw .malformedReply(request: what, "a \(stray.proto) session came in the \(proto) table")
        }
        pagesRead += 1
        sessionsRead += page.sessions.count
        if page.more, let next = page.nextOffset {
            // The kernel continues strictly after the offset; a page that does not move
            // forward would make us ask the same question forever.
            if let offset, !(offset < next) {
                throw .malformedReply(request: what, "the kernel's table did not advance past \(offset)")
            }
            offset = next
        } else {
            offset = nil
            protocolIndex += 1
        }
        return page
    }

    /// Reads every remaining page.
    public func readAll() throws(KernelLinkError) -> [Session] {
        var sessions: [Session] = []
        while let page = try nextPage() { sessions += page.sessions }
        return sessions
    }

    /// Every remaining page's records, as the kernel wrote them (F1).
    public func readAllRecords() throws(KernelLinkError) -> [[UInt8]] {
        var records: [[UInt8]] = []
        while let page = try nextPage() { records += page.records }
        return records
    }
}

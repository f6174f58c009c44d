import Glibc
import JoolWire
import LinuxRuntime
import Netlink

/// One worker's connection to Jool: resolves the family, sends requests and matches
/// their replies by sequence number, and hands everything else (session multicasts,
/// error replies to ADD and ACK) to the relay.
///
/// One socket carries both directions, as in the stock daemon: kernel multicasts come
/// with sequence 0 and port 0, replies with our sequence and port.
public final class KernelLink {
    public let channel: KernelChannel
    public private(set) var family: GenericFamilyInfo?
    private var lastSequence: UInt32
    private let buffer: UnsafeMutableRawBufferPointer
    /// Messages that arrived while a request waited for its reply, when nobody took them.
    private var backlog: [NetlinkMessage] = []

    /// Takes the messages that answer no request (session packets, error replies to ADD
    /// and ACK); the relay sets it. `request` hands it those that arrive while it waits
    /// for its reply, as they arrive, so a session packet is relayed and ACKed before
    /// `request` returns, whoever made the request. Without it they wait for `drain`.
    public var onUnsolicitedMessage: ((NetlinkMessage) -> Void)?

    public static let receiveBufferSize = 64 * 1024
    public static let replyTimeoutMilliseconds = 2000

    public init(channel: KernelChannel) {
        self.channel = channel
        lastSequence = UInt32(truncatingIfNeeded: MonotonicClock.nanoseconds() / 1000) | 1
        buffer = .allocate(byteCount: Self.receiveBufferSize, alignment: 8)
    }

    deinit { buffer.deallocate() }

    public func nextSequence() -> UInt32 {
        lastSequence &+= 1
        if lastSequence == 0 { lastSequence = 1 }   // 0 marks kernel multicasts
        return lastSequence
    }

    /// Asks nlctrl for the "Jool" family and its "joold" group.
    @discardableResult
    public func resolveFamily() throws(KernelLinkError) -> GenericFamilyInfo {
        let reply: NetlinkMessage
        do {
            reply = try request("the Jool family lookup") { GenericFamilyRequest.getFamily(sequence: $0, portID: channel.portID) }
        } catch let .kernel(_, error) where error.code == ENOENT {
            throw .moduleNotLoaded
        }
        let info: GenericFamilyInfo
        do {
            info = try GenericFamilyInfo(decoding: reply)
        } catch {
            throw .malformedReply(request: "the Jool family lookup", error.description)
        }
        guard info.jooldGroupID != nil else { throw .noJooldGroup(groups: Array(info.multicastGroups.keys)) }
        family = info
        return info
    }

    public func joinSessionGroup() throws(KernelLinkError) {
        guard let id = family?.jooldGroupID else { throw .noJooldGroup(groups: []) }
        do { try channel.joinGroup(id) } catch { throw .system(error) }
    }

    /// Sends a request built for a fresh sequence number and waits for its reply
    /// (a Jool reply, or a netlink error). Unrelated messages received meanwhile go to
    /// `onUnsolicitedMessage` at once. A Jool or netlink error reply is thrown as `.kernel`.
    public func request(_ what: String, timeoutMilliseconds: Int = replyTimeoutMilliseconds,
                        _ build: (UInt32) throws -> [UInt8]) throws(KernelLinkError) -> NetlinkMessage {
        let sequence = nextSequence()
        let message: [UInt8]
        do {
            message = try build(sequence)
        } catch {
            throw .malformedReply(request: what, "cannot build the request: \(error)")
        }
        try send(message)
        let deadline = MonotonicClock.nanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            var reply: NetlinkMessage?
            try readOnce { message in
                if reply == nil, message.sequence == sequence, message.portID == channel.portID {
                    reply = message
                } else if let onUnsolicitedMessage {
                    onUnsolicitedMessage(message)
                } else {
                    backlog.append(message)
                }
            }
            if let reply {
                do {
                    try JoolReply.check(reply)
                } catch let .kernel(error) {
                    throw .kernel(request: what, error)
                } catch {
                    throw .malformedReply(request: what, error.description)
                }
                return reply
            }
            let now = MonotonicClock.nanoseconds()
            guard now < deadline else { throw .noReply(request: what, milliseconds: timeoutMilliseconds) }
            do {
                _ = try channel.waitReadable(milliseconds: Int32(min((deadline - now) / 1_000_000 + 1, 1000)))
            } catch {
                throw .system(error)
            }
        }
    }

    /// Sends a message that expects no reply on success (ACK, ADD).
    public func send(_ message: [UInt8]) throws(KernelLinkError) {
        do { try channel.send(message) } catch { throw .system(error) }
    }

    /// What `drain` saw besides messages.
    public struct DrainReport: Equatable {
        public var overruns = 0
        public var truncations = 0
        /// Bytes that did not parse as netlink messages.
        public var malformed: [String] = []
    }

    /// Hands every waiting message (the backlog first) to `handler`, reading until the
    /// channel is empty or `maxReads` reads were made (so one busy source cannot starve
    /// the others in the event loop).
    ///
    /// With `inPlace`, each message read is first offered as it lies in the receive
    /// buffer (valid only during the call); only those it declines (returns false) are
    /// parsed into a `NetlinkMessage` for `handler`. The relay's hot path.
    @discardableResult
    public func drain(maxReads: Int = 64, inPlace: (UnsafeRawBufferPointer) -> Bool = { _ in false },
                      _ handler: (NetlinkMessage) -> Void) throws(KernelLinkError) -> DrainReport {
        var report = DrainReport()
        while !backlog.isEmpty { handler(backlog.removeFirst()) }
        for _ in 0..<maxReads {
            let outcome = try readOnce(report: &report, inPlace: inPlace, handler)
            if outcome == .empty { break }
        }
        return report
    }

    public func close() { channel.close() }

    // MARK: - Reading

    @discardableResult
    private func readOnce(_ handler: (NetlinkMessage) -> Void) throws(KernelLinkError) -> KernelReceive {
        var ignored = DrainReport()
        return try readOnce(report: &ignored, handler)
    }

    private func readOnce(report: inout DrainReport, inPlace: (UnsafeRawBufferPointer) -> Bool = { _ in false },
                          _ handler: (NetlinkMessage) -> Void) throws(KernelLinkError) -> KernelReceive {
        let outcome: KernelReceive
        do { outcome = try channel.receive(into: buffer) } catch { throw .system(error) }
        switch outcome {
        case .empty:
            break
        case .overrun:
            report.overruns += 1
        case .truncated:
            report.truncations += 1
        case let .messages(count):
            let received = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            var offset = 0
            // Whole messages one by one; the first framing problem ends the walk and
            // the rest goes to `split`, which reports it.
            while count - offset >= NetlinkConstants.headerSize {
                let length = Int(received.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                guard length >= NetlinkConstants.headerSize, length <= count - offset else { break }
                let message = UnsafeRawBufferPointer(rebasing: received[offset..<offset + length])
                if !inPlace(message) { split(message, &report, handler) }
                offset += (length + 3) & ~3
            }
            if offset < count { split(UnsafeRawBufferPointer(rebasing: received[offset...]), &report, handler) }
        }
        return outcome
    }

    private func split(_ bytes: UnsafeRawBufferPointer, _ report: inout DrainReport, _ handler: (NetlinkMessage) -> Void) {
        let (messages, error) = NetlinkMessage.split(Array(bytes))
        messages.forEach(handler)
        if let error { report.malformed.append(error.description) }
    }
}

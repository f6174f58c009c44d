import Configuration
import Glibc
import JoolWire
import LinuxRuntime
import Logging
import Netlink

/// The relay of one Jool instance: session packets from the kernel go to the peers as
/// UDP datagrams (and are ACKed), datagrams from the peers go to the kernel as
/// JOOLD_ADD after validation. Runs on one event loop; knows no netlink bytes itself.
public final class SyncWorker {
    public let configuration: WorkerConfiguration
    public let link: KernelLink
    public let version: JoolVersion
    public private(set) var requests: JoolRequestBuilder
    public private(set) var counters = JooldCounters()
    public private(set) var extra = ExtraCounters()
    private let validator: DatagramValidator
    private var network: MulticastSocket?
    private let logger: Logger
    private var limiter = RateLimiter(limit: 5, interval: .seconds(60))
    /// The ADD and the ACK being sent, their storage reused from message to message.
    private var addMessage: [UInt8] = []
    private var ackMessage: [UInt8] = []
    /// Where sessions go when the network side is disabled (CSV lines).
    private let sessionOutput: (String) -> Void

    /// Opens the multicast socket (if configured). The kernel link must have resolved
    /// the family already.
    public init(configuration: WorkerConfiguration, link: KernelLink, version: JoolVersion,
                logger: Logger, sessionOutput: @escaping (String) -> Void = { writeAll(STDOUT_FILENO, $0 + "\n") }) throws {
        guard let family = link.family else { throw KernelLinkError.moduleNotLoaded }
        self.configuration = configuration
        self.link = link
        self.version = version
        self.logger = logger
        self.sessionOutput = sessionOutput
        requests = JoolRequestBuilder(familyID: family.id, portID: link.channel.portID,
                                      instance: configuration.instance, version: version)
        validator = DatagramValidator(format: version.sessionFormat)
        if let settings = configuration.network {
            network = try MulticastSocket(settings: settings)
        }
        // What arrives while anyone's request waits (the advertiser's table pages, the
        // monitor's probes) is relayed and ACKed as it arrives, by the link itself.
        link.onUnsolicitedMessage = { [weak self] in self?.handleKernelMessage($0) }
    }

    public var multicastGroup: SocketAddress? { network?.group }

    /// Why the worker stopped its loop by itself: the kernel link failed for good (the
    /// socket errs, or the simulated kernel went away). Retrying a dead descriptor would
    /// only spin, so the process ends and its supervisor (or systemd) restarts it.
    public private(set) var failure: KernelLinkError?

    /// Whether datagrams can go to the peers (a multicast socket is configured).
    public var hasNetwork: Bool { network != nil }

    /// Where a session feed looks: the kernel's packets relayed to the peers, the
    /// worker's own advertisement datagrams, and the peers' datagrams handed to the
    /// kernel. Nil (nobody follows) costs the relay one check per packet.
    public enum TapPoint: Sendable {
        case fromKernel, advertisement, fromPeer
    }

    /// Sees each payload of session records at a `TapPoint`; must not block, and must
    /// copy what it keeps (the bytes may be a receive buffer that is reused).
    public var sessionTap: ((TapPoint, UnsafeRawBufferPointer) -> Void)?

    /// Sends one datagram of session records (not from the kernel: an advertisement)
    /// to the peers, counted in NET_SENT_*. Throws what the socket says (EAGAIN when its
    /// buffer is full), or EDESTADDRREQ without a network side.
    public func sendToPeers(_ datagram: [UInt8]) throws(MulticastSocketError) {
        guard let network else {
            throw .system(SystemError("sendto", errno: EDESTADDRREQ, context: "no multicast socket is configured"))
        }
        try network.send(datagram)
        counters.countNetworkSent(bytes: datagram.count)
        if let sessionTap { datagram.withUnsafeBytes { sessionTap(.advertisement, $0) } }
    }

    /// Subscribes to the kernel's session packets and starts relaying.
    public func attach(to loop: EventLoop) throws {
        try link.joinSessionGroup()
        try loop.register(fd: link.channel.fd, name: "kernel (instance \(configuration.instance))") { [unowned self, unowned loop] in
            do throws(KernelLinkError) {
                try kernelReadable()
            } catch {
                failure = error
                loop.stop()
            }
        }
        if let network {
            try loop.register(fd: network.fd, name: "network \(network.group)") { [unowned self] in
                try networkReadable()
            }
        }
    }

    public func close() {
        network?.close()
        link.close()
    }

    /// After a module reload the family id changes; requests must follow it.
    func familyChanged(to family: GenericFamilyInfo) {
        requests.familyID = family.id
    }

    // MARK: - Kernel to network

    func kernelReadable() throws(KernelLinkError) {
        // One read per readiness (epoll is level-triggered): Jool has one packet in
        // flight, so a second read would only find the socket empty.
        let report = try link.drain(maxReads: 1, inPlace: { relayInPlace($0) }) { handleKernelMessage($0) }
        if report.overruns > 0 {
            extra.netlinkOverruns &+= UInt64(report.overruns)
            warn("overrun", "netlink receive buffer overrun: the kernel dropped session packets for us (\(report.overruns) time(s))")
            // The kernel may be waiting for the ACK of a packet we never saw.
            sendAck()
        }
        if report.truncations > 0 {
            extra.truncatedNetlinkReceptions &+= UInt64(report.truncations)
            warn("nl-truncated", "a kernel message was larger than the \(KernelLink.receiveBufferSize)-byte buffer and was lost")
            sendAck()
        }
        for problem in report.malformed {
            warn("nl-malformed", "unparsable bytes from the kernel: \(problem)")
        }
    }

    /// The hot path: a session packet for this instance, relayed and ACKed straight from
    /// the receive buffer. False for anything else, which `handleKernelMessage` decides.
    func relayInPlace(_ message: UnsafeRawBufferPointer) -> Bool {
        guard let network, let payload = KernelSessionPacket.payloadInPlace(
            message, expecting: version, instance: configuration.instance) else { return false }
        extra.kernelMessagesReceived &+= 1
        // ACK first: the kernel holds its next packet until it sees the ACK, and a
        // 4.1.9 kernel loses the sessions that overflow that packet meanwhile.
        sendAck()
        send(payload, on: network)
        sessionTap?(.fromKernel, payload)
        return true
    }

    func handleKernelMessage(_ message: NetlinkMessage) {
        // Kernel multicasts carry sequence 0 and port 0; anything else answers a request.
        if message.sequence != 0 || message.portID != 0 {
            handleReply(message)
            return
        }
        extra.kernelMessagesReceived &+= 1
        do {
            let packet = try KernelSessionPacket(decoding: message, expecting: version, instance: configuration.instance)
            sendAck()   // first, as in relayInPlace
            relayToNetwork(packet.payload)
        } catch {
            switch error {
            case .otherInstance:
                extra.kernelMessagesIgnored &+= 1
            case let .errorReply(kernelError):
                countKernelError(kernelError)
            case .notJool:
                extra.kernelMessagesIgnored &+= 1
            case .malformed, .invalidHeader, .missingSessionContainer:
                warn("bad-kernel-packet", "dropped a session packet from the kernel: \(error)")
                if error.warrantsAck { sendAck() }
            }
        }
    }

    /// Answers to ADD and ACK come only when they failed; never ACK those (the stock
    /// daemon does, and loops: error, ACK, error...). Unreadable ones are ignored.
    private func handleReply(_ message: NetlinkMessage) {
        do {
            try JoolReply.check(message)
        } catch let .kernel(error) {
            countKernelError(error)
        } catch {}
    }

    private func countKernelError(_ error: KernelError) {
        extra.kernelErrors &+= 1
        warn("kernel-error-\(error.code)", "instance '\(configuration.instance)': \(error)")
    }

    private func relayToNetwork(_ payload: [UInt8]) {
        if let sessionTap { payload.withUnsafeBytes { sessionTap(.fromKernel, $0) } }
        guard let network else {
            printSessions(payload)
            return
        }
        for datagram in datagrams(for: payload) {
            datagram.withUnsafeBytes { send($0, on: network) }
        }
    }

    /// One datagram to the peers, counted; a failure is counted and logged, not thrown.
    private func send(_ datagram: UnsafeRawBufferPointer, on network: MulticastSocket) {
        do {
            try network.send(datagram)
            counters.countNetworkSent(bytes: datagram.count)
        } catch {
            extra.sendFailures &+= 1
            warn("net-send", "cannot send \(datagram.count) bytes to \(network.group): \(error)")
        }
    }

    /// One datagram per kernel packet, as the stock daemon does; a packet too large for
    /// the peers' 2048-byte buffers is cut between whole records.
    private func datagrams(for payload: [UInt8]) -> [[UInt8]] {
        guard payload.count > SessionDatagram.maxSize else { return [payload] }
        let size = version.sessionFormat.recordSize
        guard payload.count % size == 0 else {
            warn("oversized-packet", "a \(payload.count)-byte session packet from the kernel is not a whole number of \(size)-byte records; dropped")
            extra.sendFailures &+= 1
            return []
        }
        let records = stride(from: 0, to: payload.count, by: size).map { Array(payload[$0..<$0 + size]) }
        return (try? SessionDatagram.pack(records, maxRecords: records.count)) ?? []
    }

    private func printSessions(_ payload: [UInt8]) {
        do {
            for session in try SessionCodec.decode(payload, format: version.sessionFormat) {
                sessionOutput(SessionCSV.line(session))
            }
        } catch {
            warn("decode", "cannot decode a session packet from the kernel: \(error)")
        }
    }

    func sendAck() {
        do {
            requests.ack(sequence: link.nextSequence(), into: &ackMessage)
            try link.send(ackMessage)
            extra.acksSent &+= 1
        } catch {
            extra.sendFailures &+= 1
            warn("ack", "cannot ACK the kernel: \(error)")
        }
    }

    // MARK: - Network to kernel

    func networkReadable() throws {
        guard let network else { return }
        try network.receive { handleDatagram($0) }
    }

    func handleDatagram(_ datagram: ReceivedDatagram) {
        counters.countNetworkReceived(bytes: datagram.wireLength)
        // Formatted only when something is logged: not per datagram.
        func sender() -> String { datagram.sender.map { "\($0)" } ?? "unknown sender" }
        if datagram.truncated {
            extra.truncatedDatagrams &+= 1
            warn("truncated", "dropped a \(datagram.wireLength)-byte datagram from \(sender()): larger than \(MulticastSocket.maxPayload) bytes")
            return
        }
        let payload = datagram.payload   // validated and copied into the ADD in place
        do {
            _ = try validator.validate(payload)
        } catch {
            extra.countRejection(error.reason)
            warn("rejected-\(error.reason.shortName)", "dropped a \(payload.count)-byte datagram from \(sender()): \(error)")
            return
        }
        do {
            try requests.add(sequence: link.nextSequence(), sessionEntries: payload, into: &addMessage)
            try link.send(addMessage)
            counters.countKernelAdd(bytes: payload.count)
            sessionTap?(.fromPeer, payload)
        } catch {
            extra.sendFailures &+= 1
            warn("add", "cannot hand \(payload.count) bytes of sessions from \(sender()) to the kernel: \(error)")
        }
    }

    // MARK: - Logging

    private func warn(_ key: String, _ message: String) {
        limiter.log(logger, .warning, key: key, message)
    }
}

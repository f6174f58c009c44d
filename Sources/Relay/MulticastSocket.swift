#if canImport(Glibc)
import CMnl  // MSG_NOSIGNAL (see UnixKernelChannel.swift)
import Glibc
#endif
import Configuration
import LinuxRuntime

/// The UDP multicast socket joold uses to talk to its peers, opened exactly as
/// Jool's netsocket.c does (docs/jool-kernel-protocol.md §12.1): bound to the group
/// address and port themselves, joined on the in-interface, loopback off, TTL set,
/// sending through the out-interface. Non-blocking and close-on-exec.
public final class MulticastSocket {
    /// Largest datagram Jool's daemons send or read.
    public static let maxPayload = 2048

    public let settings: NetSocketSettings
    public let fd: Int32
    public let group: SocketAddress
    /// SO_RCVBUF as the kernel reports it after our request (Linux reports twice the payload room).
    public let receiveBufferBytes: Int
    /// "multicast socket [ff08::db8:64:64]:6464", formatted once for error contexts.
    private let name: String
    private let receiver: DatagramBatchReceiver
    private var closed = false

    /// - Parameters:
    ///   - receiveBufferRequest: SO_RCVBUF wish; a burst of kernel session packets
    ///     must not overflow it while the loop is busy.
    ///   - batchSize: datagrams fetched per recvmmsg call.
    public init(settings: NetSocketSettings, receiveBufferRequest: Int = 4 << 20,
                batchSize: Int = 32) throws(MulticastSocketError) {
        self.settings = settings
        group = try Self.groupAddress(settings)
        try Self.validateInterfaces(settings)
        let context = "multicast socket \(group)"
        name = context
        let family = settings.family == .ipv4 ? AF_INET : AF_INET6
        do {
            fd = try SocketCalls.udpSocket(family: family, context: context)
        } catch {
            throw .system(error)
        }
        do {
            if settings.reuseAddress {
                try SocketCalls.setOption(fd, SOL_SOCKET, SO_REUSEADDR, Int32(1), name: "SO_REUSEADDR", context: context)
            }
            receiveBufferBytes = try SocketCalls.growReceiveBuffer(fd, to: receiveBufferRequest, context: context)
            try SocketCalls.bind(fd, to: group)
            switch settings.family {
            case .ipv4: try Self.configureIPv4(fd, settings)
            case .ipv6: try Self.configureIPv6(fd, settings)
            }
        } catch {
            Glibc.close(fd)
            throw .system(error)
        }
        receiver = DatagramBatchReceiver(batchSize: max(1, batchSize), bufferSize: Self.maxPayload)
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// After close() the descriptor number may already belong to someone else.
    private func ensureOpen(_ call: String) throws(MulticastSocketError) {
        if closed { throw .system(SystemError(call, errno: EBADF, context: "closed multicast socket \(group)")) }
    }

    /// Sends one datagram to the group. Refuses payloads over `maxPayload`.
    /// A full socket buffer surfaces as `.system` with errno EAGAIN.
    public func send(_ payload: UnsafeRawBufferPointer) throws(MulticastSocketError) {
        guard payload.count <= Self.maxPayload else {
            throw .payloadTooLarge(size: payload.count, limit: Self.maxPayload)
        }
        try ensureOpen("sendto")
        do {
            try SystemCall.retrying("sendto", group.description) {
                group.withSockAddr { address, length in
                    sendto(fd, payload.baseAddress, payload.count, Int32(MSG_NOSIGNAL), address, length)
                }
            }
        } catch {
            throw .system(error)
        }
    }

    public func send(_ payload: [UInt8]) throws(MulticastSocketError) {
        // withUnsafeBytes only rethrows `any Error`: the Result keeps the type.
        try payload.withUnsafeBytes { bytes in Result { () throws(MulticastSocketError) in try send(bytes) } }.get()
    }

    /// Reads what is waiting, up to `maxBatches` recvmmsg calls, handing each
    /// datagram to `handler` (whose payload is valid only during the call).
    /// Returns the number of datagrams; 0 if nothing was waiting.
    @discardableResult
    public func receive(maxBatches: Int = 8, _ handler: (ReceivedDatagram) -> Void) throws(MulticastSocketError) -> Int {
        try ensureOpen("recvmmsg")
        var total = 0
        for _ in 0..<max(1, maxBatches) {
            let count: Int
            do { count = try receiver.receive(from: fd, context: name, handler) } catch { throw .system(error) }
            total += count
            if count < receiver.batchSize { break }
        }
        return total
    }

    // MARK: - Recipe steps

    /// Interfaces the family cannot use; checked before any socket exists.
    private static func validateInterfaces(_ settings: NetSocketSettings) throws(MulticastSocketError) {
        for (role, interface) in [("in", settings.inInterface), ("out", settings.outInterface)] {
            guard case .ipv4Address(let address)? = interface else { continue }
            if settings.family == .ipv6 {
                throw .interfaceFamilyMismatch(
                    "\(role) interface \(dotted(address)) is an IPv4 address; IPv6 group \(settings.display) needs an interface name")
            }
            if address.count != 4 {
                throw .interfaceFamilyMismatch(
                    "\(role) interface address of \(address.count) bytes for IPv4 group \(settings.display)")
            }
        }
    }

    private static func groupAddress(_ settings: NetSocketSettings) throws(MulticastSocketError) -> SocketAddress {
        switch (settings.family, settings.groupAddress.count) {
        case (.ipv4, 4):
            return SocketAddress(ipv4: settings.groupAddress, port: settings.port)
        case (.ipv6, 16):
            return SocketAddress(ipv6: settings.groupAddress, port: settings.port, scopeID: settings.scopeID)
        default:
            throw .malformedGroupAddress(settings.display)
        }
    }

    private static func configureIPv4(_ fd: Int32, _ settings: NetSocketSettings) throws(SystemError) {
        let groupText = settings.display
        let membership = "\(groupText) on "
        switch settings.inInterface {
        case .index(let index, let name)?:
            // Not in Jool's recipe (IPv4 interfaces are addresses there), but the
            // kernel's ip_mreqn accepts an index as well.
            var request = ip_mreqn()
            withUnsafeMutableBytes(of: &request.imr_multiaddr) { $0.copyBytes(from: settings.groupAddress) }
            request.imr_ifindex = Int32(bitPattern: index)
            try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, request, name: "IP_ADD_MEMBERSHIP",
                                      context: membership + "interface \(name) (index \(index))")
        case .ipv4Address(let address)?:
            var request = ip_mreq()
            withUnsafeMutableBytes(of: &request.imr_multiaddr) { $0.copyBytes(from: settings.groupAddress) }
            withUnsafeMutableBytes(of: &request.imr_interface) { $0.copyBytes(from: address) }
            try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, request, name: "IP_ADD_MEMBERSHIP",
                                      context: membership + "interface address \(dotted(address))")
        case nil:
            var request = ip_mreq()   // imr_interface stays INADDR_ANY: the kernel picks
            withUnsafeMutableBytes(of: &request.imr_multiaddr) { $0.copyBytes(from: settings.groupAddress) }
            try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, request, name: "IP_ADD_MEMBERSHIP",
                                      context: membership + "any interface")
        }
        try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, Int32(0),
                                  name: "IP_MULTICAST_LOOP", context: groupText)
        try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, Int32(clamping: settings.ttl),
                                  name: "IP_MULTICAST_TTL", context: "\(groupText), ttl \(settings.ttl)")
        switch settings.outInterface {
        case nil:
            break
        case .ipv4Address(let address)?:
            var outgoing = in_addr()
            withUnsafeMutableBytes(of: &outgoing) { $0.copyBytes(from: address) }
            try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, outgoing,
                                      name: "IP_MULTICAST_IF", context: "\(groupText) via \(dotted(address))")
        case .index(let index, let name)?:
            var outgoing = ip_mreqn()
            outgoing.imr_ifindex = Int32(bitPattern: index)
            try SocketCalls.setOption(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, outgoing,
                                      name: "IP_MULTICAST_IF", context: "\(groupText) via \(name) (index \(index))")
        }
    }

    private static func configureIPv6(_ fd: Int32, _ settings: NetSocketSettings) throws(SystemError) {
        let groupText = settings.display
        func index(of interface: NetSocketSettings.Interface?) -> (UInt32, String) {
            guard case .index(let index, let name)? = interface else { return (0, "any interface") }
            return (index, "\(name) (index \(index))")
        }
        let (inIndex, inName) = index(of: settings.inInterface)
        let (outIndex, outName) = index(of: settings.outInterface)

        var request = ipv6_mreq()
        withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { $0.copyBytes(from: settings.groupAddress) }
        request.ipv6mr_interface = inIndex
        try SocketCalls.setOption(fd, Int32(IPPROTO_IPV6), IPV6_ADD_MEMBERSHIP, request,
                                  name: "IPV6_ADD_MEMBERSHIP", context: "\(groupText) on \(inName)")
        try SocketCalls.setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, Int32(0),
                                  name: "IPV6_MULTICAST_LOOP", context: groupText)
        try SocketCalls.setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, Int32(clamping: settings.ttl),
                                  name: "IPV6_MULTICAST_HOPS", context: "\(groupText), hops \(settings.ttl)")
        if settings.outInterface != nil {
            try SocketCalls.setOption(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, outIndex,
                                      name: "IPV6_MULTICAST_IF", context: "\(groupText) via \(outName)")
        }
    }
}

/// "192.0.2.1" from 4 network-order bytes.
func dotted(_ address: [UInt8]) -> String {
    address.map(String.init).joined(separator: ".")
}

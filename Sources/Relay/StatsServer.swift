#if canImport(Glibc)
import CMnl  // MSG_NOSIGNAL (see UnixKernelChannel.swift)
import Glibc
#endif
import LinuxRuntime
import Logging

/// Jool's stats UDP server (docs/jool-kernel-protocol.md §13): every datagram,
/// whatever it holds, even empty, is answered to its sender with the bytes the
/// `reply` closure returns at that moment.
///
/// One socket per getaddrinfo(address, port, AF_UNSPEC, SOCK_DGRAM, AI_PASSIVE)
/// result, all served by the caller's event loop. An IPv6 wildcard is made
/// dual-stack (IPV6_V6ONLY = 0), and an IPv4 wildcard it already covers is skipped
/// rather than failing with EADDRINUSE.
public final class StatsServer {
    private struct Endpoint {
        let fd: Int32
        let address: SocketAddress
    }

    private let loop: EventLoop
    private let logger: Logger
    private let reply: () -> [UInt8]
    private var endpoints: [Endpoint] = []
    private var failures = RateLimiter(limit: 5, interval: .seconds(60))
    private var receiveBuffer = [UInt8](repeating: 0, count: 2048)

    /// The addresses actually bound (ports resolved when 0 was asked for).
    public var boundAddresses: [SocketAddress] { endpoints.map(\.address) }
    /// The bound port (all sockets share it, even when port "0" was asked for).
    public var port: UInt16 { endpoints.first?.address.port ?? 0 }

    /// - Parameters:
    ///   - address: host to bind, e.g. "::" (also serves IPv4), "127.0.0.1"; nil for all wildcards.
    ///   - port: port number or service name; "0" picks a free port.
    public init(address: String?, port: String, loop: EventLoop, logger: Logger,
                reply: @escaping () -> [UInt8]) throws(StatsServerError) {
        self.loop = loop
        self.logger = logger
        self.reply = reply
        do {
            try open(address: address, port: port)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    public func close() {
        for endpoint in endpoints {
            loop.unregister(fd: endpoint.fd)
            Glibc.close(endpoint.fd)
        }
        endpoints.removeAll()
    }

    private func open(address: String?, port: String) throws(StatsServerError) {
        // IPv6 wildcards first: once dual-stack, they make the IPv4 wildcard redundant.
        let resolved: [SocketAddress]
        do { resolved = try AddressResolution.passiveUDP(host: address, service: port) } catch { throw .resolution(error) }
        let candidates = resolved
            .enumerated()
            .sorted { lhs, rhs in
                let l = lhs.element.family == AF_INET6 && lhs.element.isWildcard
                let r = rhs.element.family == AF_INET6 && rhs.element.isWildcard
                return l != r ? l : lhs.offset < rhs.offset
            }
            .map(\.element)

        var dualStackCoversIPv4 = false
        var sharedPort: UInt16?
        for candidate in candidates {
            if candidate.family == AF_INET && candidate.isWildcard && dualStackCoversIPv4 { continue }
            var target = candidate
            if candidate.port == 0, let sharedPort { target = target.withPort(sharedPort) }

            let fd: Int32
            do { fd = try SocketCalls.udpSocket(family: target.family, context: "stats server \(target)") } catch {
                throw .system(error)
            }
            do {
                if target.family == AF_INET6 && target.isWildcard {
                    try SocketCalls.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, Int32(0),
                                              name: "IPV6_V6ONLY", context: "stats server \(target)")
                    dualStackCoversIPv4 = true
                }
                try SocketCalls.bind(fd, to: target)
                let bound = try SocketCalls.localAddress(fd)
                let name = "stats server \(bound)"
                try loop.register(fd: fd, name: name) { [weak self] in
                    self?.answerPending(fd: fd, name: name)
                }
                endpoints.append(Endpoint(fd: fd, address: bound))
                sharedPort = sharedPort ?? bound.port
            } catch {
                Glibc.close(fd)
                throw .system(error)
            }
        }
        guard !endpoints.isEmpty else {
            throw .resolution(AddressResolutionError(host: address ?? "<wildcard>", service: port, code: EAI_NONAME,
                                                     reason: "no usable address"))
        }
    }

    /// Answers up to a few dozen queued queries, then lets other sources run
    /// (the loop is level-triggered and calls again if more are queued).
    private func answerPending(fd: Int32, name: String) {
        for _ in 0..<64 {
            var sender = sockaddr_storage()
            var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            do {
                try SystemCall.retrying("recvfrom", name) {
                    receiveBuffer.withUnsafeMutableBytes { buffer in
                        withUnsafeMutableBytes(of: &sender) { raw in
                            recvfrom(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT),
                                     raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &senderLength)
                        }
                    }
                }
            } catch {
                if error.errno != EAGAIN && error.errno != EWOULDBLOCK {
                    failures.log(logger, .warning, key: "recvfrom", "\(error)")
                }
                return
            }
            let answer = reply()
            func peer() -> String {
                withUnsafeBytes(of: sender) { SocketAddress(raw: $0.baseAddress!, length: senderLength) }?.description
                    ?? "unknown sender"
            }
            do {
                try SystemCall.retrying("sendto", "stats reply to \(peer())") {
                    answer.withUnsafeBytes { bytes in
                        withUnsafeBytes(of: &sender) { raw in
                            sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL),
                                   raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), senderLength)
                        }
                    }
                }
            } catch {
                failures.log(logger, .warning, key: "sendto", "\(error)")
            }
        }
    }
}

/// Why the stats server could not start.
public enum StatsServerError: Error, Equatable, CustomStringConvertible {
    /// The address or port does not resolve (or to nothing usable).
    case resolution(AddressResolutionError)
    /// A socket call failed (bind: the port is taken, ...).
    case system(SystemError)

    public var description: String {
        switch self {
        case let .resolution(error): return error.description
        case let .system(error): return error.description
        }
    }
}

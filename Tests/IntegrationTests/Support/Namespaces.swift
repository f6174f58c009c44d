import Foundation
import Glibc
import LinuxRuntime
import NetworkTestSupport

/// Raw sockets inside a lab namespace, for what the tests send and ask themselves.
enum LabSocket {
    /// Sends each payload as one UDP datagram from `namespace` to the multicast group,
    /// out of `interface` (IPv6: its index; IPv4: its address), multicast loopback off.
    static func sendToGroup(_ payloads: [[UInt8]], namespace: String, family: Int32, group: String,
                            port: UInt16, interfaceIndex: UInt32, interfaceAddress: String) throws {
        try NamespaceThread.run(inNamespaceNamed: namespace) {
            let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
            defer { close(fd) }
            var off: Int32 = 0
            var index = interfaceIndex
            if family == AF_INET6 {
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, &off, 4)
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &index, 4)
            } else {
                setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, &off, 4)
                var address = in_addr()
                inet_pton(AF_INET, interfaceAddress, &address)
                setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &address, socklen_t(MemoryLayout<in_addr>.size))
            }
            let destination = family == AF_INET6
                ? SocketAddress(ipv6: ipv6Bytes(group), port: port)
                : SocketAddress(ipv4: ipv4Bytes(group), port: port)
            for payload in payloads {
                let sent = destination.withSockAddr { address, length in
                    payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, length) }
                }
                guard sent == payload.count else { throw TestFailure("sendto \(group): errno \(errno)") }
                usleep(2000)
            }
        }
    }

    /// Sends `query` to the stats server at 127.0.0.1 or ::1 inside `namespace` and
    /// returns its answer as text.
    static func askStats(namespace: String, port: UInt16, ipv6: Bool = false, query: [UInt8] = [0x0a]) throws -> String {
        try NamespaceThread.run(inNamespaceNamed: namespace) {
            let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
            defer { close(fd) }
            var timeout = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let server = ipv6 ? SocketAddress(ipv6: ipv6Bytes("::1"), port: port)
                              : SocketAddress(ipv4: [127, 0, 0, 1], port: port)
            _ = server.withSockAddr { address, length in
                query.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, length) }
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else { throw TestFailure("no answer from the stats server on port \(port)") }
            return String(decoding: buffer[0..<count], as: UTF8.self)
        }
    }

    static func ipv6Bytes(_ text: String) -> [UInt8] {
        var address = in6_addr()
        inet_pton(AF_INET6, text, &address)
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func ipv4Bytes(_ text: String) -> [UInt8] {
        var address = in_addr()
        inet_pton(AF_INET, text, &address)
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}

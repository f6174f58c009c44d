import Glibc
import LinuxRuntime
import NetworkTestSupport

/// Where the relay runs: NetworkLab's two namespaces joined by a veth pair. The relay
/// (joold or the floor) lives in A; the driver's UDP sockets live in B: one joined to
/// the group (the datagrams the relay emits arrive there, timestamped by the kernel),
/// one sending datagrams to the group (which the relay turns into ADDs).
struct RelayLab {
    static let group = "ff08::db8:64:64"
    static let port: UInt16 = 6464

    let lab: NetworkLab
    let listener: Int32
    let sender: Int32
    let destination: SocketAddress

    static func with<T>(work: WorkDirectory, _ body: (RelayLab) throws -> T) throws -> T {
        try NetworkLab.with { lab in
            work.noteNamespace(lab.namespaceA)
            work.noteNamespace(lab.namespaceB)
            let groupBytes = ipv6Bytes(group)
            let (listener, sender) = try lab.inB { () throws -> (Int32, Int32) in
                let listener = try udpSocket()
                var one: Int32 = 1
                setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, 4)
                let bound = SocketAddress(ipv6: groupBytes, port: port).withSockAddr { bind(listener, $0, $1) }
                guard bound == 0 else { throw SystemError.lastError("bind", "[\(group)]:\(port)") }
                var request = ipv6_mreq()
                withUnsafeMutableBytes(of: &request.ipv6mr_multiaddr) { $0.copyBytes(from: groupBytes) }
                request.ipv6mr_interface = lab.indexB
                guard setsockopt(listener, Int32(IPPROTO_IPV6), IPV6_ADD_MEMBERSHIP, &request,
                                 socklen_t(MemoryLayout<ipv6_mreq>.size)) == 0 else {
                    throw SystemError.lastError("IPV6_ADD_MEMBERSHIP", group)
                }
                let sender = try udpSocket()
                var zero: Int32 = 0, index = lab.indexB
                setsockopt(sender, Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, &zero, 4)
                setsockopt(sender, Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, &one, 4)
                setsockopt(sender, Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, &index, 4)
                return (listener, sender)
            }
            defer {
                close(listener)
                close(sender)
            }
            return try body(RelayLab(lab: lab, listener: listener, sender: sender,
                                     destination: SocketAddress(ipv6: groupBytes, port: port)))
        }
    }

    private static func udpSocket() throws -> Int32 {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket(AF_INET6)") }
        var size: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, 4)
        return fd
    }

    static func ipv6Bytes(_ text: String) -> [UInt8] {
        var address = in6_addr()
        inet_pton(AF_INET6, text, &address)
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}

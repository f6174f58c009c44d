import CMnl
import Glibc
import LinuxRuntime

/// The real Generic Netlink socket, through libmnl. Non-blocking, close-on-exec, with a
/// large receive buffer so a burst of session packets does not overrun it, and extended
/// ACKs on so policy errors come with the kernel's explanation.
public final class NetlinkChannel: KernelChannel {
    private var socket: OpaquePointer?
    public let fd: Int32
    public let portID: UInt32
    /// The receive buffer the kernel actually granted, in bytes.
    public private(set) var receiveBufferBytes = 0

    public init(receiveBufferRequest: Int = 4 << 20) throws(SystemError) {
        guard let socket = mnl_socket_open2(NETLINK_GENERIC, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)) else {
            throw SystemError.lastError("mnl_socket_open2", "generic netlink")
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let error = SystemError.lastError("mnl_socket_bind", "generic netlink")
            mnl_socket_close(socket)
            throw error
        }
        self.socket = socket
        fd = mnl_socket_get_fd(socket)
        portID = mnl_socket_get_portid(socket)
        var on: Int32 = 1
        _ = mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        do {
            receiveBufferBytes = try SocketCalls.growReceiveBuffer(fd, to: receiveBufferRequest, context: "generic netlink")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    public func send(_ message: [UInt8]) throws(SystemError) {
        guard let socket else { throw SystemError("mnl_socket_sendto", errno: EBADF, context: "generic netlink") }
        try SystemCall.retrying("mnl_socket_sendto", "generic netlink") {
            message.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) }
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> KernelReceive {
        guard let socket else { throw SystemError("mnl_socket_recvfrom", errno: EBADF, context: "generic netlink") }
        do {
            let count = try SystemCall.retrying("mnl_socket_recvfrom", "generic netlink") {
                mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count)
            }
            return .messages(count: count)
        } catch {
            switch error.errno {
            case EAGAIN: return .empty
            case ENOBUFS: return .overrun
            case ENOSPC: return .truncated   // libmnl's report of MSG_TRUNC
            default: throw error
            }
        }
    }

    public func joinGroup(_ id: UInt32) throws(SystemError) {
        guard let socket else { throw SystemError("setsockopt", errno: EBADF, context: "generic netlink") }
        var group = id
        if mnl_socket_setsockopt(socket, NETLINK_ADD_MEMBERSHIP, &group, socklen_t(MemoryLayout<UInt32>.size)) < 0 {
            throw SystemError.lastError("setsockopt(NETLINK_ADD_MEMBERSHIP)", "Jool group \(id)")
        }
    }

    public func close() {
        if let socket { mnl_socket_close(socket) }
        socket = nil
    }
}

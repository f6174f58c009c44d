// SOCK_SEQPACKET and SOCK_CLOEXEC: Clang credits them to CMnl, whose libmnl.h includes
// <sys/socket.h>, in every module that depends on CMnl (see cshim.h).
import CMnl
import Glibc
import LinuxRuntime

/// A stand-in for the Generic Netlink socket: a Unix SOCK_SEQPACKET connection to a
/// simulated Jool endpoint that speaks the same netlink bytes. Used by the host tests,
/// where no Jool module can be loaded; selected with JOOLD_TEST_KERNEL_SOCKET.
public final class UnixKernelChannel: KernelChannel {
    public private(set) var fd: Int32
    public let portID: UInt32

    /// Connects to the endpoint listening at `path`.
    public init(path: String, portID: UInt32 = UInt32(getpid())) throws(SystemError) {
        let address = try UnixSocketAddress(path: path)
        let fd = try SocketCalls.unixSocket(SOCK_SEQPACKET, context: path)
        do {
            try SocketCalls.connect(fd, to: address)
        } catch {
            Glibc.close(fd)
            throw error
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
        self.portID = portID
    }

    /// Wraps an already connected descriptor (a socketpair end in tests).
    public init(connected fd: Int32, portID: UInt32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        self.fd = fd
        self.portID = portID
    }

    deinit { close() }

    public func send(_ message: [UInt8]) throws(SystemError) {
        try SystemCall.retrying("send", "simulated kernel") {
            message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> KernelReceive {
        let count: Int
        do {
            count = try SystemCall.retrying("recv", "simulated kernel") {
                recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC))
            }
        } catch {
            switch error.errno {
            case EAGAIN: return .empty
            case ENOBUFS: return .overrun
            default: throw error
            }
        }
        if count > buffer.count { return .truncated }
        if count == 0 { throw SystemError("recv", errno: ECONNRESET, context: "simulated kernel closed the connection") }
        return .messages(count: count)
    }

    /// The simulated endpoint sends its session packets to every connection.
    public func joinGroup(_ id: UInt32) throws(SystemError) {}

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

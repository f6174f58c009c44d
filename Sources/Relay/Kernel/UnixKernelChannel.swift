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
    public init(path: String, portID: UInt32 = UInt32(getpid())) throws {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket(AF_UNIX)", path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            Glibc.close(fd)
            throw SystemError("connect", errno: ENAMETOOLONG, context: path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let error = SystemError.lastError("connect", path)
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

    public func send(_ message: [UInt8]) throws {
        let sent = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent < 0 { throw SystemError.lastError("send", "simulated kernel") }
    }

    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> KernelReceive {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_TRUNC))
            if count > buffer.count { return .truncated }
            if count > 0 { return .messages(count: count) }
            if count == 0 { throw SystemError("recv", errno: ECONNRESET, context: "simulated kernel closed the connection") }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .empty
            case ENOBUFS: return .overrun
            default: throw SystemError.lastError("recv", "simulated kernel")
            }
        }
    }

    /// The simulated endpoint sends its session packets to every connection.
    public func joinGroup(_ id: UInt32) throws {}

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

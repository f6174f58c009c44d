#if canImport(Glibc)
import Glibc
#endif

/// Thin, error-naming wrappers over socket(2) and setsockopt(2)/getsockopt(2).
public enum SocketCalls {
    /// A non-blocking, close-on-exec UDP socket.
    public static func udpSocket(family: Int32, context: @autoclosure () -> String) throws(SystemError) -> Int32 {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, Int32(IPPROTO_UDP))
        guard fd >= 0 else { throw SystemError.lastError("socket", context()) }
        return fd
    }

    /// A close-on-exec Unix-domain socket of `type` (SOCK_STREAM, SOCK_SEQPACKET, ...),
    /// non-blocking if asked.
    public static func unixSocket(_ type: __socket_type, nonBlocking: Bool = false,
                                  context: @autoclosure () -> String) throws(SystemError) -> Int32 {
        let flags = Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let fd = socket(AF_UNIX, Int32(type.rawValue) | flags, 0)
        guard fd >= 0 else { throw SystemError.lastError("socket(AF_UNIX)", context()) }
        return fd
    }

    /// connect(2), not retried after EINTR (the connection goes on; see `SystemCall`).
    public static func connect(_ fd: Int32, to address: UnixSocketAddress) throws(SystemError) {
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        guard result == 0 else { throw SystemError.lastError("connect", address.description) }
    }

    public static func bind(_ fd: Int32, to address: UnixSocketAddress) throws(SystemError) {
        let result = address.withSockAddr { Glibc.bind(fd, $0, $1) }
        guard result == 0 else { throw SystemError.lastError("bind", address.description) }
    }

    public static func setOption<Value>(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Value,
                                 name: String, context: @autoclosure () -> String) throws(SystemError) {
        let result = withUnsafeBytes(of: value) { raw in
            setsockopt(fd, level, option, raw.baseAddress, socklen_t(raw.count))
        }
        guard result == 0 else { throw SystemError.lastError("setsockopt(\(name))", context()) }
    }

    public static func intOption(_ fd: Int32, _ level: Int32, _ option: Int32,
                          name: String, context: @autoclosure () -> String) throws(SystemError) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, level, option, &value, &length) == 0 else {
            throw SystemError.lastError("getsockopt(\(name))", context())
        }
        return value
    }

    public static func bind(_ fd: Int32, to address: SocketAddress) throws(SystemError) {
        let result = address.withSockAddr { Glibc.bind(fd, $0, $1) }
        guard result == 0 else { throw SystemError.lastError("bind", address.description) }
    }

    /// The address the kernel actually bound (port 0 becomes a real port).
    public static func localAddress(_ fd: Int32) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutableBytes(of: &storage) { raw in
            getsockname(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard result == 0 else { throw SystemError.lastError("getsockname", "fd \(fd)") }
        let address = withUnsafeBytes(of: storage) { SocketAddress(raw: $0.baseAddress!, length: length) }
        guard let address else { throw SystemError("getsockname", errno: EAFNOSUPPORT, context: "fd \(fd)") }
        return address
    }

    /// Asks for `bytes` of receive buffer: SO_RCVBUFFORCE (needs CAP_NET_ADMIN, may
    /// exceed net.core.rmem_max), else SO_RCVBUF (capped at rmem_max). Returns what
    /// getsockopt reports, which on Linux is twice the usable payload size (the
    /// kernel doubles the request for its bookkeeping).
    public static func growReceiveBuffer(_ fd: Int32, to bytes: Int,
                                         context: @autoclosure () -> String) throws(SystemError) -> Int {
        let request = Int32(clamping: bytes)
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, [request], socklen_t(MemoryLayout<Int32>.size)) != 0 {
            try setOption(fd, SOL_SOCKET, SO_RCVBUF, request, name: "SO_RCVBUF", context: context())
        }
        return Int(try intOption(fd, SOL_SOCKET, SO_RCVBUF, name: "SO_RCVBUF", context: context()))
    }
}

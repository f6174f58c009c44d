import Glibc
import LinuxRuntime

/// The Unix SOCK_SEQPACKET socket a worker connects to when JOOLD_TEST_KERNEL_SOCKET
/// names it: the benchmark plays the kernel on the accepted connection.
final class KernelSocket {
    let path: String
    private let listener: Int32

    init(path: String) throws {
        self.path = path
        unlink(path)
        let address = try UnixSocketAddress(path: path)
        listener = try SocketCalls.unixSocket(SOCK_SEQPACKET, context: path)
        try SocketCalls.bind(listener, to: address)
        guard listen(listener, 4) == 0 else { throw SystemError.lastError("listen", path) }
    }

    deinit {
        close(listener)
        unlink(path)
    }

    /// The next connection (blocking, with big buffers so a window of packets fits),
    /// or an error after `seconds`.
    func accept(within seconds: Int32 = 10) throws -> Int32 {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard try SystemCall.retrying("poll", path, { poll(&entry, 1, seconds * 1000) }) == 1 else {
            throw BenchError("nothing connected to \(path) within \(seconds) s")
        }
        let fd = try SystemCall.retrying("accept", path) { Glibc.accept(listener, nil, nil) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, 4)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4)
        return fd
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

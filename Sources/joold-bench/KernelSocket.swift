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
        listener = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw SystemError.lastError("socket(AF_UNIX)", path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 4) == 0 else { throw SystemError.lastError("bind/listen", path) }
    }

    deinit {
        close(listener)
        unlink(path)
    }

    /// The next connection (blocking, with big buffers so a window of packets fits),
    /// or an error after `seconds`.
    func accept(within seconds: Int32 = 10) throws -> Int32 {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, seconds * 1000) == 1 else {
            throw BenchError("nothing connected to \(path) within \(seconds) s")
        }
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { throw SystemError.lastError("accept", path) }
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

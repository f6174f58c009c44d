import Glibc
import LinuxRuntime

/// Tells systemd (Type=notify) about readiness and stopping through $NOTIFY_SOCKET,
/// without libsystemd: one datagram per state to that Unix socket ("@" = abstract).
public struct SystemdNotifier: Sendable {
    public let socketPath: String?

    public init(environment: [String: String]) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let address = socketPath.hasPrefix("@") ? try? UnixSocketAddress(abstractName: String(socketPath.dropFirst()))
                                                : try? UnixSocketAddress(path: socketPath)
        guard let address, let fd = try? SocketCalls.unixSocket(SOCK_DGRAM, context: socketPath) else { return false }
        defer { close(fd) }
        let sent = try? SystemCall.retrying("sendto", socketPath) {
            address.withSockAddr { target, length in
                state.withCString { sendto(fd, $0, strlen($0), Int32(MSG_NOSIGNAL), target, length) }
            }
        }
        return sent != nil
    }
}

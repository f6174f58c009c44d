import ControlProtocol
import Glibc
import LinuxRuntime

/// The worker's end of its socketpair with the supervisor (SOCK_SEQPACKET: one message
/// per send, so a message is never split or merged).
final class WorkerControlChannel {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    init(fd: Int32) {
        self.fd = fd
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    func send(_ message: WorkerMessage) {
        let bytes = message.encoded
        _ = try? SystemCall.retrying("send", "supervisor channel") {
            bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// Sends without waiting: false when the channel is full (or gone), the message
    /// then not sent. For what may be dropped (the session feed).
    func trySend(_ message: WorkerMessage) -> Bool {
        let bytes = message.encoded
        let sent = try? SystemCall.retrying("send", "supervisor channel") {
            bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
        return sent == bytes.count
    }

    enum Received {
        case message(WorkerMessage)
        case unreadable
        case closed
        case nothing
    }

    /// Reads one message; `wait` milliseconds at most (-1: forever, 0: do not wait).
    func receive(wait milliseconds: Int32 = 0) -> Received {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = try? SystemCall.retrying("poll", "supervisor channel") { poll(&poller, 1, milliseconds) }
        guard let ready, ready > 0 else { return .nothing }
        let count: Int
        do {
            count = try SystemCall.retrying("recv", "supervisor channel") {
                buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            }
        } catch {
            return error.errno == EAGAIN ? .nothing : .closed
        }
        if count == 0 { return .closed }
        return WorkerMessage.decode(Array(buffer[0..<count])).map(Received.message) ?? .unreadable
    }
}

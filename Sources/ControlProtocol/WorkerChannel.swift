import Glibc
import LinuxRuntime

/// One end of the socketpair between the supervisor and a worker (SOCK_SEQPACKET: one
/// `WorkerMessage` per packet, so a message is never split or merged). Both ends use
/// it: the supervisor's end is non-blocking (its loop must never wait for a worker), the
/// worker's end blocking (a worker's replies wait for room; its session feed does not,
/// see `sendWithoutWaiting`).
///
/// Every send is checked: a failure (EPIPE or ECONNRESET: the peer is gone; EAGAIN: the
/// peer's queue is full and this end is non-blocking) is thrown to the caller, who
/// decides what it means.
public final class WorkerChannel {
    public let fd: Int32
    private let buffer: ReceiveBuffer
    private let name: String

    /// The memory `receive` reads a packet into: one can serve many channels read one
    /// at a time on the same thread (the supervisor's workers).
    public final class ReceiveBuffer {
        /// Larger than any message either end sends (a session batch is one payload's).
        public static let size = 256 * 1024
        var bytes = [UInt8](repeating: 0, count: ReceiveBuffer.size)
        public init() {}
    }

    /// `name` says in errors which end this is ("worker 1234", "supervisor channel").
    /// The descriptor becomes close-on-exec: no program either end starts inherits it.
    public init(fd: Int32, name: String, buffer: ReceiveBuffer = ReceiveBuffer()) {
        self.fd = fd
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.name = name
        self.buffer = buffer
    }

    /// Sends one message; waits for room only if the descriptor is blocking.
    public func send(_ message: WorkerMessage) throws(SystemError) {
        try send(message, flags: Int32(MSG_NOSIGNAL))
    }

    /// Sends one message without ever waiting: EAGAIN when the peer's queue is full.
    /// For what may be dropped and counted (the session feed).
    public func sendWithoutWaiting(_ message: WorkerMessage) throws(SystemError) {
        try send(message, flags: Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
    }

    private func send(_ message: WorkerMessage, flags: Int32) throws(SystemError) {
        let bytes = message.encoded
        let sent = try SystemCall.retrying("send", name) {
            bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, flags) }
        }
        // A packet goes whole or not at all; anything else is not a message the peer can read.
        guard sent == bytes.count else { throw SystemError("send", errno: EMSGSIZE, context: name) }
    }

    public enum Received: Equatable {
        case message(WorkerMessage)
        /// A packet that is not a `WorkerMessage`.
        case unreadable
        /// The peer closed its end (or the channel failed, which comes to the same).
        case closed
        /// Nothing to read (within the wait).
        case nothing
    }

    /// Reads one message; `wait` milliseconds at most (-1: forever, 0: do not wait).
    public func receive(wait milliseconds: Int32 = 0) -> Received {
        if milliseconds != 0 {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = try? SystemCall.retrying("poll", name) { poll(&poller, 1, milliseconds) }
            guard let ready, ready > 0 else { return .nothing }
        }
        let count: Int
        do {
            count = try SystemCall.retrying("recv", name) {
                buffer.bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            }
        } catch {
            return error.errno == EAGAIN ? .nothing : .closed
        }
        if count == 0 { return .closed }
        return WorkerMessage.decode(Array(buffer.bytes[0..<count])).map(Received.message) ?? .unreadable
    }

    /// Closes this end (the peer then reads `closed`).
    public func close() {
        _ = Glibc.close(fd)
    }
}

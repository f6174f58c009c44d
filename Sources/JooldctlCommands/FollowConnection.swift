import ControlProtocol
import Glibc
import LinuxRuntime

/// jooldctl's end of a `follow` stream: the request and its response within the
/// timeout, then event lines for as long as they come (no timeout), read in chunks.
final class FollowConnection {
    enum Read {
        case lines([String])
        /// The supervisor closed the connection.
        case endOfStream
        /// A signal arrived on the signal descriptor.
        case interrupted
    }

    let fd: Int32
    let socketPath: String
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65536)

    private init(fd: Int32, socketPath: String) {
        self.fd = fd
        self.socketPath = socketPath
    }

    deinit { close(fd) }

    /// Connects, sends `request` and reads the response line.
    static func open(_ client: ControlClient, _ request: ControlRequest) throws(JooldctlFailure) -> (FollowConnection, ControlResponse) {
        let deadline = ContinuousClock.now + .milliseconds(Int64((client.timeout * 1000).rounded(.up)))
        let connection = FollowConnection(fd: try client.connect(deadline: deadline), socketPath: client.socketPath)
        try client.send(Array((request.line + "\n").utf8), on: connection.fd, deadline: deadline)
        while true {
            if let newline = connection.buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: connection.buffer[..<newline], as: UTF8.self)
                connection.buffer.removeSubrange(...newline)
                do {
                    return (connection, try ControlResponse.parse(line))
                } catch {
                    throw JooldctlFailure(.protocolError, "\(error.message) (from \(client.socketPath))")
                }
            }
            try client.wait(for: Int16(POLLIN), on: connection.fd, deadline: deadline, doing: "waiting for the answer")
            switch try connection.receive() {
            case true: continue
            case false:
                throw JooldctlFailure(.protocolError, "the supervisor at \(client.socketPath) closed the connection without answering")
            }
        }
    }

    /// Waits for complete lines, the end of the stream, or a signal on `signalFD`.
    func next(signalFD: Int32?) throws(JooldctlFailure) -> Read {
        while true {
            if let lines = completeLines() { return .lines(lines) }
            var entries = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            if let signalFD { entries.append(pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)) }
            do {
                try SystemCall.retrying("poll", socketPath) { poll(&entries, nfds_t(entries.count), -1) }
            } catch {
                throw JooldctlFailure(.protocolError, "poll failed: \(error.reason)")
            }
            if entries.count > 1, entries[1].revents != 0 { return .interrupted }
            if entries[0].revents != 0, !(try receive()) {
                if let lines = completeLines() { return .lines(lines) }
                return .endOfStream
            }
        }
    }

    /// Reads what is there; false at the end of the stream.
    private func receive() throws(JooldctlFailure) -> Bool {
        let count: Int
        do {
            count = try SystemCall.retrying("recv", socketPath) {
                chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
            }
        } catch {
            switch error.errno {
            case EAGAIN: return true
            case ECONNRESET: return false
            default: throw JooldctlFailure(.protocolError, "reading from the supervisor at \(socketPath) failed: \(error.reason)")
            }
        }
        buffer += chunk[0..<count]
        return count > 0
    }

    private func completeLines() -> [String]? {
        guard let last = buffer.lastIndex(of: 0x0A) else { return nil }
        let lines = buffer[..<last].split(separator: 0x0A, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
        buffer.removeSubrange(...last)
        return lines
    }
}

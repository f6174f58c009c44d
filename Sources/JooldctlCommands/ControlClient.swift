import Configuration
import ControlProtocol
import Glibc
import LinuxRuntime

/// One request/response exchange with the supervisor over its Unix stream socket:
/// connect, send one line, read one line, all within `timeout` seconds.
public struct ControlClient: Sendable {
    /// Answers longer than this are refused (the supervisor's requests are capped at 1 MiB;
    /// answers such as `list` may be larger, but not this large).
    public static let maximumResponseLength = 64 << 20
    /// The supervisor's request line limit (docs/control-protocol.md).
    public static let maximumRequestLength = 1 << 20

    public var socketPath: String
    public var timeout: Double

    public init(socketPath: String, timeout: Double) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// Sends `request` and returns the supervisor's response (`ok` true or false).
    /// Throws `.usage` for a request that cannot be sent as is, `.unreachable` when the
    /// socket cannot be connected to, `.protocolError` when no readable answer arrives.
    public func exchange(_ request: ControlRequest) throws(JooldctlFailure) -> ControlResponse {
        let line = request.line
        guard line.utf8.count < Self.maximumRequestLength else {
            throw JooldctlFailure(.usage, "the request is \(line.utf8.count) bytes long; the supervisor accepts at most \(Self.maximumRequestLength) (are the configuration files that large?)")
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64((timeout * 1000).rounded(.up)))
        let fd = try connect(deadline: deadline)
        defer { close(fd) }
        let answer: String
        do {
            try send(Array((line + "\n").utf8), on: fd, deadline: deadline)
            answer = try receiveLine(on: fd, deadline: deadline)
        } catch let failure where failure.status == .protocolError {
            // A supervisor that refuses a client at once (permission-denied) answers and
            // closes without reading: its answer may still be waiting to be read.
            guard let early = try? receiveLine(on: fd, deadline: deadline) else { throw failure }
            answer = early
        }
        let response: ControlResponse
        do {
            response = try ControlResponse.parse(answer)
        } catch {
            throw JooldctlFailure(.protocolError, "\(error.message) (from \(socketPath))")
        }
        if let sent = request.id {
            // A failure may lack the id when the supervisor could not read the request.
            let acceptable = response.id == sent || (response.id == nil && isFailure(response))
            guard acceptable else {
                throw JooldctlFailure(.protocolError, "the supervisor answered request id \(response.id?.serialized() ?? "(none)") to request id \(sent.serialized())")
            }
        }
        return response
    }

    private func isFailure(_ response: ControlResponse) -> Bool {
        if case .failure = response.outcome { return true }
        return false
    }

    // MARK: - Connecting

    /// "a regular file", "a directory"...: what sits at the socket path instead of a
    /// socket (connecting to it is refused like connecting to a dead supervisor's socket).
    private func somethingElseAtSocketPath() -> String? {
        var info = stat()
        guard stat(socketPath, &info) == 0, info.st_mode & S_IFMT != S_IFSOCK else { return nil }
        return TextFile.kind(of: info.st_mode)
    }

    private func unreachable(_ reason: String) -> JooldctlFailure {
        JooldctlFailure(.unreachable, "cannot connect to \(socketPath): \(reason); is joold-supervisor running?")
    }

    func connect(deadline: ContinuousClock.Instant) throws(JooldctlFailure) -> Int32 {
        let address: UnixSocketAddress
        do { address = try UnixSocketAddress(path: socketPath) } catch {
            throw JooldctlFailure(.usage, "invalid socket path: \(error.context)")
        }
        let fd: Int32
        do { fd = try SocketCalls.unixSocket(SOCK_STREAM, nonBlocking: true, context: socketPath) } catch {
            throw unreachable("socket: \(error.reason)")
        }
        while true {
            let failure: Int32
            do {
                try SocketCalls.connect(fd, to: address)
                return fd
            } catch {
                failure = error.errno
            }
            switch failure {
            case EAGAIN:
                // The listen backlog is full: try again until the deadline.
                guard ContinuousClock.now < deadline else {
                    close(fd)
                    throw unreachable("the supervisor does not accept connections (its backlog stayed full for \(seconds(timeout)))")
                }
                usleep(10_000)
            case EINPROGRESS, EINTR:   // after EINTR too, the connection goes on (connect(3p))
                do {
                    try wait(for: Int16(POLLOUT), on: fd, deadline: deadline, doing: "connecting")
                } catch {
                    close(fd)
                    throw error
                }
                var pending: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &size)
                if pending == 0 { return fd }
                close(fd)
                throw unreachable(errorText(pending))
            default:
                close(fd)
                if let other = somethingElseAtSocketPath() {
                    throw JooldctlFailure(.unreachable, "cannot connect to \(socketPath): it is \(other), not a socket; is --socket (or $\(Jooldctl.socketEnvironmentVariable)) right?")
                }
                throw unreachable(errorText(failure))
            }
        }
    }

    // MARK: - Sending and receiving

    func send(_ bytes: [UInt8], on fd: Int32, deadline: ContinuousClock.Instant) throws(JooldctlFailure) {
        var offset = 0
        while offset < bytes.count {
            do {
                offset += try SystemCall.retrying("send", socketPath) {
                    bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                }
            } catch where error.errno == EAGAIN {
                try wait(for: Int16(POLLOUT), on: fd, deadline: deadline, doing: "sending the request")
            } catch {
                throw JooldctlFailure(.protocolError, "the supervisor at \(socketPath) did not take the request: \(error.reason)")
            }
        }
    }

    private func receiveLine(on fd: Int32, deadline: ContinuousClock.Instant) throws(JooldctlFailure) -> String {
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count: Int
            do {
                count = try SystemCall.retrying("recv", socketPath) { chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) } }
            } catch where error.errno == EAGAIN {
                try wait(for: Int16(POLLIN), on: fd, deadline: deadline, doing: "waiting for the answer")
                continue
            } catch {
                throw JooldctlFailure(.protocolError, "reading the supervisor's answer from \(socketPath) failed: \(error.reason)")
            }
            if count > 0 {
                let received = chunk[0..<count]
                if let newline = received.firstIndex(of: UInt8(ascii: "\n")) {
                    line += received[..<newline]
                    return try decode(line)
                }
                line += received
                guard line.count <= Self.maximumResponseLength else {
                    throw JooldctlFailure(.protocolError, "the supervisor's answer exceeds \(Self.maximumResponseLength) bytes without a newline")
                }
                continue
            }
            throw JooldctlFailure(.protocolError, line.isEmpty
                ? "the supervisor at \(socketPath) closed the connection without answering"
                : "the supervisor at \(socketPath) closed the connection in the middle of its answer (\(line.count) bytes, no newline)")
        }
    }

    private func decode(_ bytes: [UInt8]) throws(JooldctlFailure) -> String {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            throw JooldctlFailure(.protocolError, "the supervisor's answer is not UTF-8 text")
        }
        return text
    }

    /// Waits until `fd` is ready for `events`, or throws a timeout.
    func wait(for events: Int16, on fd: Int32, deadline: ContinuousClock.Instant, doing what: String) throws(JooldctlFailure) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw JooldctlFailure(.protocolError, "timed out after \(seconds(timeout)) \(what) (supervisor at \(socketPath)); --timeout sets the limit")
            }
            let (whole, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: whole * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            do {
                if try SystemCall.retrying("poll", socketPath, { poll(&descriptor, 1, milliseconds) }) > 0 { return }
            } catch {
                throw JooldctlFailure(.protocolError, "poll failed: \(error.reason)")
            }
        }
    }

    private func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

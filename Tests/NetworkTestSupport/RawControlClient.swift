import Configuration
import ControlProtocol
#if canImport(Glibc)
import Glibc
#endif
import LinuxRuntime

/// A blocking client of a control socket (the supervisor's, or a test server's) that
/// sends whatever bytes a test wants, where jooldctl sends only what it considers valid,
/// and reads response lines with a deadline.
public final class RawControlClient: @unchecked Sendable {
    public let fd: Int32
    private var buffer: [UInt8] = []
    /// The last read ended with ECONNRESET rather than a clean end of file.
    public private(set) var sawReset = false

    /// Connects to the Unix stream socket at `socketPath`; throws the SystemError of
    /// `socket` or `connect`.
    public init(socketPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket(AF_UNIX)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw TestFailure("socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = SystemError.lastError("connect", socketPath)
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends everything; throws the SystemError of a failed send (EPIPE, ECONNRESET...).
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw SystemError.lastError("send")
            }
            offset += sent
        }
    }

    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next line without its newline; nil at end of file (or a reset). Throws a
    /// TestFailure when no whole line comes within `timeout`.
    public func readLine(timeout: Duration = .seconds(5)) throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw TestFailure("no complete line within \(timeout)") }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
            let ready = poll(&entry, 1, Int32(clamping: milliseconds + 1))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { sawReset = true; return nil }
                throw SystemError.lastError("recv")
            }
            if count == 0 { return nil }
            buffer += chunk[..<count]
        }
    }

    /// The next response line, parsed.
    public func response(timeout: Duration = .seconds(5)) throws -> ControlResponse {
        guard let line = try readLine(timeout: timeout) else {
            throw TestFailure("the server closed the connection instead of answering")
        }
        return try ControlResponse.parse(line)
    }

    /// Sends one line (a newline is added) and reads one response.
    public func request(_ line: String, timeout: Duration = .seconds(5)) throws -> ControlResponse {
        try send(line + "\n")
        return try response(timeout: timeout)
    }

    /// One request on a fresh connection.
    public static func request(_ line: String, socketPath: String,
                               timeout: Duration = .seconds(5)) throws -> ControlResponse {
        try RawControlClient(socketPath: socketPath).request(line, timeout: timeout)
    }

    /// True if the server closes the connection within `timeout` without sending
    /// anything more (bytes received meanwhile make it false).
    public func closesWithoutData(timeout: Duration = .seconds(3)) throws -> Bool {
        do {
            let line = try readLine(timeout: timeout)
            return line == nil && buffer.isEmpty
        } catch is TestFailure {
            return false
        }
    }
}

extension ControlResponse {
    public var errorCode: ControlError.Code? {
        if case let .failure(error) = outcome { return error.code }
        return nil
    }

    public var errorMessage: String? {
        if case let .failure(error) = outcome { return error.message }
        return nil
    }

    public var result: JSONValue? {
        if case let .success(value) = outcome { return value }
        return nil
    }
}

extension JSONValue {
    public var arrayValue: [JSONValue]? {
        if case let .array(elements) = self { return elements }
        return nil
    }
}

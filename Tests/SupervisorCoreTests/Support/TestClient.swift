import Configuration
import ControlProtocol
import Foundation
@testable import LinuxRuntime
import NetworkTestSupport

/// A blocking Unix stream client with poll-based timeouts.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// The last read ended with ECONNRESET rather than a clean end of file.
    private(set) var sawReset = false

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket(AF_UNIX)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw TestFailure("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = SystemError.lastError("connect", path)
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends everything; throws the SystemError of a failed send (EPIPE, ECONNRESET...).
    func send(_ bytes: [UInt8]) throws {
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

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next line without its newline; nil at end of file (or a reset).
    /// Throws on timeout.
    func readLine(milliseconds: Int = 5000) throws -> String? {
        let deadline = MonotonicClock.nanoseconds() + UInt64(milliseconds) * 1_000_000
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let now = MonotonicClock.nanoseconds()
            guard now < deadline else { throw TestFailure("no complete line within \(milliseconds) ms") }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32((deadline - now) / 1_000_000) + 1)
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

    /// The next response, parsed.
    func response(milliseconds: Int = 5000) throws -> ControlResponse {
        guard let line = try readLine(milliseconds: milliseconds) else {
            throw TestFailure("the server closed the connection instead of answering")
        }
        return try ControlResponse.parse(line)
    }

    /// Sends one line (a newline is added) and reads one response.
    func request(_ line: String, milliseconds: Int = 5000) throws -> ControlResponse {
        try send(line + "\n")
        return try response(milliseconds: milliseconds)
    }

    /// True if the server closes the connection within `milliseconds` without
    /// sending anything more (bytes received meanwhile make it false).
    /// The server answers one `busy` error line (no id) and closes the connection.
    func isRefusedBusy(milliseconds: Int = 3000) throws -> Bool {
        guard let line = try readLine(milliseconds: milliseconds),
              let response = try? ControlResponse.parse(line) else { return false }
        guard response.errorCode == .busy, response.id == nil else { return false }
        return try closesWithoutData(milliseconds: milliseconds)
    }

    func closesWithoutData(milliseconds: Int = 3000) throws -> Bool {
        do {
            let line = try readLine(milliseconds: milliseconds)
            return line == nil && buffer.isEmpty
        } catch is TestFailure {
            return false
        }
    }
}

/// Runs a program and collects its output (stdout and stderr together).
@discardableResult
func runProgram(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try Shell.execute(arguments)
}

extension ControlResponse {
    var errorCode: ControlError.Code? {
        if case let .failure(error) = outcome { return error.code }
        return nil
    }

    var errorMessage: String? {
        if case let .failure(error) = outcome { return error.message }
        return nil
    }

    var result: JSONValue? {
        if case let .success(value) = outcome { return value }
        return nil
    }
}

extension JSONValue {
    var arrayValue: [JSONValue]? {
        if case let .array(elements) = self { return elements }
        return nil
    }
}

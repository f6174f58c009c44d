import Configuration
import ControlProtocol
import Foundation
import Glibc

/// A blocking client of the control socket that sends whatever bytes a test wants
/// (jooldctl only sends what it considers valid) and reads response lines with a
/// deadline.
final class RawClient: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(socketPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw TestFailure("socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw TestFailure("connect \(socketPath): \(reason)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw TestFailure("send: \(String(cString: strerror(errno)))")
            }
            offset += sent
        }
    }

    /// The next line without its newline; nil at end of file. Throws on timeout.
    func readLine(timeout: Duration = .seconds(5)) throws -> String? {
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
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return nil }
                throw TestFailure("recv: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return nil }
            buffer += chunk[..<count]
        }
    }

    /// The next response line, parsed.
    func response(timeout: Duration = .seconds(5)) throws -> ControlResponse {
        guard let line = try readLine(timeout: timeout) else {
            throw TestFailure("the supervisor closed the connection instead of answering")
        }
        return try ControlResponse.parse(line)
    }

    /// Sends one line (a newline is added) and reads one response.
    func request(_ line: String, timeout: Duration = .seconds(5)) throws -> ControlResponse {
        try send(line + "\n")
        return try response(timeout: timeout)
    }

    /// One request on a fresh connection.
    static func request(_ line: String, socketPath: String, timeout: Duration = .seconds(5)) throws -> ControlResponse {
        try RawClient(socketPath: socketPath).request(line, timeout: timeout)
    }
}

extension ControlResponse {
    var errorCode: String? {
        if case let .failure(error) = outcome { return error.code.rawValue }
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

/// The instances of a `list` (or `status` without a name) result.
/// The one status object of `jooldctl status NAME --json` (`{"instances": [one]}`).
func onlyInstance(_ result: CommandResult) throws -> JSONValue {
    let list = try instances(in: try result.json())
    guard list.count == 1 else { throw TestFailure("not one instance: \(result)") }
    return list[0]
}

func instances(in result: JSONValue) throws -> [JSONValue] {
    guard let list = result["instances"]?.arrayValue else {
        throw TestFailure("no \"instances\" array in \(result.serialized())")
    }
    return list
}

/// The status object of (netns, instance) in a `list` result.
func entry(_ list: [JSONValue], _ instance: String, netns: String) -> JSONValue? {
    list.first { $0["instance"]?.stringValue == instance && $0["netns"]?.stringValue == netns }
}

import Configuration
import Glibc
import LinuxRuntime

/// A blocking client of the supervisor's control socket: one JSON request per line,
/// one response line back. Kept open across requests (what a busy jooldctl user costs).
final class ControlLine {
    private let fd: Int32
    private var pending: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String) throws {
        let address = try UnixSocketAddress(path: path)
        fd = try SocketCalls.unixSocket(SOCK_STREAM, context: path)
        do {
            try SocketCalls.connect(fd, to: address)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Sends `request` and returns the response's `result`; throws a refusal with its text.
    @discardableResult
    func call(_ request: String, timeoutMilliseconds: Int32 = 15_000) throws -> JSONValue {
        let line = Array((request + "\n").utf8)
        var offset = 0
        while offset < line.count {
            offset += try SystemCall.retrying("send", "control socket") {
                line[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        }
        let text = try readLine(timeoutMilliseconds)
        let response = try JSONValue.parse(text, path: "control response")
        guard response["ok"]?.boolValue == true, let result = response["result"] else {
            throw BenchError("the supervisor refused \(request): \(text)")
        }
        return result
    }

    private func readLine(_ timeoutMilliseconds: Int32) throws -> String {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard try SystemCall.retrying("poll", "control socket", { poll(&entry, 1, timeoutMilliseconds) }) == 1 else {
                throw BenchError("no answer from the supervisor")
            }
            let count = try SystemCall.retrying("recv", "control socket") {
                chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            }
            guard count > 0 else { throw BenchError("the supervisor closed the control connection") }
            pending += chunk[..<count]
        }
    }
}

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
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError.lastError("socket(AF_UNIX)", path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8.prefix($0.count - 1)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let error = SystemError.lastError("connect", path)
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
            let sent = line[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw SystemError.lastError("send", "control socket") }
            offset += sent
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
            guard poll(&entry, 1, timeoutMilliseconds) == 1 else { throw BenchError("no answer from the supervisor") }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw BenchError("the supervisor closed the control connection") }
            pending += chunk[..<count]
        }
    }
}

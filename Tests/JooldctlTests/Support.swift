import Configuration
import ControlProtocol
import Foundation
import Glibc
@testable import JooldctlCommands
import NetworkTestSupport
import Testing

/// A stand-in for joold-supervisor: a Unix stream socket server on a temporary path, on
/// its own thread, that records every request line and answers canned replies in order
/// (the last one is repeated).
final class FakeSupervisor: @unchecked Sendable {
    enum Reply: Sendable {
        /// `{"ok": true, "result": ...}` with the request's id.
        case result(JSONValue)
        /// `{"ok": false, "error": ...}` with the request's id.
        case refuse(ControlError.Code, String)
        /// These bytes, as they are (add the newline yourself).
        case raw(String)
        /// These bytes, then close the connection.
        case rawThenClose(String)
        /// Close the connection without answering.
        case close
        /// Never answer; keep the connection open until the client leaves.
        case silent
    }

    let scratch = TemporaryDirectory(prefix: "jctl")
    let path: String
    private let lock = NSLock()
    private var recorded: [String] = []
    private var accepted = 0
    private var replies: [Reply]
    /// Sent on every connection as soon as it is accepted, which is then closed unread.
    private let greeting: String?
    private let listener: Int32
    private let stopPipe: [Int32]
    private let finished = DispatchSemaphore(value: 0)

    init(_ replies: Reply..., greeting: String? = nil) {
        self.replies = replies
        self.greeting = greeting
        path = scratch.path + "/s.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(listener >= 0)
        self.listener = listener
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(bound == 0, "bind \(path): \(String(cString: strerror(errno)))")
        precondition(listen(listener, 16) == 0)
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0)
        stopPipe = fds
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.start()
    }

    /// Every request line received, in order.
    var requests: [String] { lock.withLock { recorded } }
    /// Connections accepted so far.
    var connections: Int { lock.withLock { accepted } }

    /// The only request, parsed.
    func onlyRequest(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let lines = requests
        try #require(lines.count == 1, "expected one request, got \(lines)", sourceLocation: sourceLocation)
        return try JSONValue.parse(lines[0], path: "request")
    }

    func stop() {
        var byte: UInt8 = 1
        _ = write(stopPipe[1], &byte, 1)
        finished.wait()
        close(listener)
        close(stopPipe[0])
        close(stopPipe[1])
        scratch.remove()
    }

    // MARK: - The server thread

    private func nextReply() -> Reply {
        lock.withLock { replies.count > 1 ? replies.removeFirst() : (replies.first ?? .close) }
    }

    /// Waits for `fd` or the stop pipe; false when stopping.
    private func wait(_ fd: Int32) -> Bool {
        var descriptors = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            return descriptors[1].revents == 0
        }
    }

    private func serve() {
        while wait(listener) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            lock.withLock { accepted += 1 }
            if let greeting {
                send(connection, greeting)
                close(connection)
                continue
            }
            let keepGoing = handle(connection)
            close(connection)
            if !keepGoing { return }
        }
    }

    /// Serves one connection until the client leaves; false when stopping.
    private func handle(_ connection: Int32) -> Bool {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            guard wait(connection) else { return false }
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress!, $0.count, 0) }
            if count <= 0 { return true }
            buffer += chunk[0..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                lock.withLock { recorded.append(line) }
                let id: JSONValue? = switch ControlRequest.parse(line) {
                case let .success(request): request.id
                case let .failure(failure): failure.id
                }
                switch nextReply() {
                case let .result(result):
                    send(connection, ControlResponse(id: id, .success(result)).line + "\n")
                case let .refuse(code, message):
                    send(connection, ControlResponse(id: id, .failure(ControlError(code, message))).line + "\n")
                case let .raw(text):
                    send(connection, text)
                case let .rawThenClose(text):
                    send(connection, text)
                    return true
                case .close:
                    return true
                case .silent:
                    while wait(connection) {
                        if chunk.withUnsafeMutableBytes({ recv(connection, $0.baseAddress!, $0.count, 0) }) <= 0 { return true }
                    }
                    return false
                }
            }
        }
    }

    private func send(_ connection: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(connection, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            bytes = bytes.dropFirst(sent)
        }
    }
}

/// Runs jooldctl in-process against `supervisor` (through JOOLDCTL_SOCKET unless the
/// arguments name a socket), with `directory` as the current directory.
func jooldctl(_ arguments: [String], supervisor: FakeSupervisor? = nil, directory: String = "/",
              environment: [String: String] = [:]) -> JooldctlResult {
    var environment = environment
    if let supervisor, environment[Jooldctl.socketEnvironmentVariable] == nil {
        environment[Jooldctl.socketEnvironmentVariable] = supervisor.path
    }
    return Jooldctl.run(arguments: arguments, environment: environment, currentDirectory: directory, helpColumns: 80)
}

/// Parses JSON text in a test.
func json(_ text: String) throws -> JSONValue {
    try JSONValue.parse(text, path: "test")
}

/// The object's members by key (order ignored), for exact comparisons.
func members(_ value: JSONValue) -> [String: JSONValue] {
    guard case let .object(members) = value else { return [:] }
    return Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
}

/// Checks that `request` is exactly `{"protocol": 1, "id": <integer>, "op": op, ...fields}`.
func expectRequest(_ request: JSONValue, op: String, _ fields: [String: JSONValue],
                   sourceLocation: SourceLocation = #_sourceLocation) {
    var actual = members(request)
    #expect(actual.removeValue(forKey: "id")?.integerValue != nil, "the request carries an integer id", sourceLocation: sourceLocation)
    var expected = fields
    expected["protocol"] = .integer(1)
    expected["op"] = .string(op)
    #expect(actual == expected, sourceLocation: sourceLocation)
}

/// A status object as the supervisor sends it.
func statusObject(_ instance: String, netns: String = "", state: InstanceState = .running, pid: Int32? = 4242,
                  uptime: Double? = 3725.5, restarts: Int = 0, lastError: String? = nil,
                  waitingFor: String? = nil) -> JSONValue {
    InstanceStatusRecord(instance: instance, netns: netns, state: state, pid: pid, uptimeSeconds: uptime,
                         restarts: restarts, lastError: lastError, waitingFor: waitingFor, ssEnabled: true,
                         kernelVersion: "4.1.9.0", multicast: "[ff08::db8:64:64]:6464", statsPort: 45678).json
}

import Configuration
import ControlProtocol
import Foundation
@testable import LinuxRuntime
import Logging
import NetworkTestSupport
import SupervisorCore

/// The handler the tests plug in; runs on the loop thread. Ops:
/// `echo` (answers at once with the peer and `value`), `delay` (answers `value` after
/// `ms`), `big` (a string of `size` bytes), `connections` (the server's count),
/// `hold` (never answers until `release`), `twice` (answers two times), `fail`;
/// anything else is `unknown-op`. Every call and answer is recorded in `events`.
final class TestHandler: ControlHandler {
    let loop: EventLoop
    let events: Locked<[String]>
    weak var server: ControlServer?
    private var held: [(Result<JSONValue, ControlError>) -> Void] = []

    init(loop: EventLoop, events: Locked<[String]>) {
        self.loop = loop
        self.events = events
    }

    func handle(_ request: ControlRequest, peer: PeerCredentials,
                respond: @escaping (Result<JSONValue, ControlError>) -> Void) {
        let tag = request.id?.serialized() ?? "null"
        events.mutate { $0.append("handle \(request.op) \(tag)") }
        let recordingRespond: (Result<JSONValue, ControlError>) -> Void = { [events] outcome in
            events.mutate { $0.append("respond \(request.op) \(tag)") }
            respond(outcome)
        }
        let value = request.body["value"] ?? .null
        switch request.op {
        case "echo":
            recordingRespond(.success(.object([
                JSONValue.Member("op", .string(request.op)),
                JSONValue.Member("value", value),
                JSONValue.Member("pid", .integer(Int64(peer.pid))),
                JSONValue.Member("uid", .integer(Int64(peer.uid))),
                JSONValue.Member("gid", .integer(Int64(peer.gid))),
                JSONValue.Member("groups", .array(peer.supplementaryGroups.map { .integer(Int64($0)) })),
            ])))
        case "delay":
            let milliseconds = request.body["ms"]?.integerValue ?? 100
            do {
                try loop.scheduleTimer(name: "test delay", after: .milliseconds(milliseconds)) {
                    recordingRespond(.success(.object([JSONValue.Member("value", value)])))
                }
            } catch {
                recordingRespond(.failure(ControlError(.internal, "\(error)")))
            }
        case "big":
            let size = Int(request.body["size"]?.integerValue ?? 65536)
            recordingRespond(.success(.object([JSONValue.Member("data", .string(String(repeating: "x", count: size)))])))
        case "connections":
            recordingRespond(.success(.object([JSONValue.Member("count", .integer(Int64(server?.connectionCount ?? -1)))])))
        case "hold":
            held.append(recordingRespond)
        case "release":
            let waiting = held
            held.removeAll()
            for responder in waiting { responder(.success(.string("released"))) }
            recordingRespond(.success(.object([JSONValue.Member("released", .integer(Int64(waiting.count)))])))
        case "twice":
            recordingRespond(.success(.string("first")))
            recordingRespond(.success(.string("second")))
        case "fail":
            recordingRespond(.failure(ControlError(.noSuchInstance, "no instance 'potato'")))
        default:
            recordingRespond(.failure(ControlError(.unknownOp, "unknown operation '\(request.op)'")))
        }
    }

    /// `follow` (a streaming op): `lines` numbered lines of `size` bytes after `ms`,
    /// then, with `finish`, an end line; `refuse` is an error answer.
    func openStream(_ request: ControlRequest, peer: PeerCredentials, stream: ControlStream) throws(ControlError) -> JSONValue {
        if request.body["refuse"]?.boolValue == true { throw ControlError(.noSuchInstance, "no instance 'potato'") }
        let lines = Int(request.body["lines"]?.integerValue ?? 0)
        let size = Int(request.body["size"]?.integerValue ?? 100)
        let finish = request.body["finish"]?.boolValue ?? false
        events.mutate { $0.append("stream \(lines)") }
        stream.onClose = { [events] in events.mutate { $0.append("stream closed") } }
        _ = try? loop.scheduleTimer(name: "test stream", after: .milliseconds(request.body["ms"]?.integerValue ?? 0)) {
            for index in 0..<lines {
                let text = #"{"line":\#(index),"pad":""#
                stream.send(Array((text + String(repeating: "x", count: max(0, size - text.count - 3)) + "\"}\n").utf8))
            }
            if finish { stream.finish(Array(#"{"event":"end"}"#.utf8) + [0x0A]) }
        }
        return .object([JSONValue.Member("streaming", .bool(true))])
    }
}

/// A real ControlServer on a temporary socket, its loop on a thread of its own.
final class ServerHarness: @unchecked Sendable {
    let baseDirectory: String
    let configuration: ControlServerConfiguration
    let log = LogCapture()
    let events = Locked<[String]>([])
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var stopPipe: [Int32] = [-1, -1]
    private var startError: (any Error)?
    private(set) var controlGroupID: gid_t = 0
    private var stopped = false
    private let ownsBaseDirectory: Bool

    var socketPath: String { configuration.socketPath }
    var socketDirectory: String { configuration.socketDirectory }

    /// Handler calls seen so far ("handle OP ID").
    var handledRequests: [String] { events.get().filter { $0.hasPrefix("handle ") } }

    init(groupName: String = "root", baseDirectory: String? = nil,
         configure: (inout ControlServerConfiguration) -> Void = { _ in }) throws {
        ownsBaseDirectory = baseDirectory == nil
        self.baseDirectory = baseDirectory ?? TemporaryDirectory(prefix: "jsc").path
        var configuration = ControlServerConfiguration(socketPath: self.baseDirectory + "/run/supervisor.sock",
                                                       groupName: groupName)
        configure(&configuration)
        self.configuration = configuration
        guard pipe(&stopPipe) == 0 else { throw SystemError.lastError("pipe") }
        let thread = Thread { [self] in self.serve() }
        thread.start()
        ready.wait()
        if let startError {
            finished.wait()
            closePipes()
            if ownsBaseDirectory { try? FileManager.default.removeItem(atPath: self.baseDirectory) }
            stopped = true
            throw startError
        }
    }

    private func serve() {
        defer { finished.signal() }
        var started = false
        do {
            let loop = try EventLoop(logger: log.logger(label: "loop"))
            let handler = TestHandler(loop: loop, events: events)
            let server = try ControlServer(configuration: configuration, loop: loop, handler: handler,
                                           logger: log.logger(label: "control"))
            handler.server = server
            controlGroupID = server.controlGroupID
            try loop.register(fd: stopPipe[0], name: "test stop") {
                server.close()
                loop.stop()
            }
            started = true
            ready.signal()
            try loop.run()
        } catch {
            if !started {
                startError = error
                ready.signal()
            }
        }
    }

    /// Closes the server (its socket file goes) and ends the loop thread.
    func stop() {
        guard !stopped else { return }
        stopped = true
        _ = write(stopPipe[1], "x", 1)
        finished.wait()
        closePipes()
        if ownsBaseDirectory { try? FileManager.default.removeItem(atPath: baseDirectory) }
    }

    private func closePipes() {
        for fd in stopPipe where fd >= 0 { close(fd) }
        stopPipe = [-1, -1]
    }

    deinit { stop() }

    /// Asks the server, on a fresh connection, how many connections it has open
    /// (counting that one).
    func connectionCount() throws -> Int {
        let client = try RawControlClient(socketPath: socketPath)
        let response = try client.request(#"{"op": "connections"}"#)
        guard case let .success(result) = response.outcome, let count = result["count"]?.integerValue else {
            throw TestFailure("connections: \(response)")
        }
        return Int(count)
    }

    /// Polls until the server has `expected` connections open besides the asker.
    func waitForConnections(_ expected: Int, milliseconds: Int = 3000) throws -> Int {
        let deadline = MonotonicClock.nanoseconds() + UInt64(milliseconds) * 1_000_000
        var count = try connectionCount() - 1
        while count != expected && MonotonicClock.nanoseconds() < deadline {
            usleep(10_000)
            count = try connectionCount() - 1
        }
        return count
    }
}


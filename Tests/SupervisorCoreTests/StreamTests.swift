import Configuration
import ControlProtocol
import Foundation
import NetworkTestSupport
@testable import SupervisorCore
import Testing

/// Streaming connections (`follow`): the bounded queue, loss reports, the end.
@Suite struct StreamTests {
    private static func report(_ count: UInt64) -> [UInt8] { Array("lost \(count)\n".utf8) }

    /// Polls `condition` for up to 2 s (the server's loop runs on its own thread).
    private static func eventually(_ condition: () -> Bool) -> Bool {
        (0..<100).contains { _ in
            if condition() { return true }
            usleep(20_000)
            return false
        } || condition()
    }

    @Test func aFullQueueDropsCountsAndReportsOnceHalfIsRead() {
        var queue = StreamQueue(capacity: 100)
        let line = [UInt8](repeating: 0x61, count: 30)
        let accepted = (0..<4).map { _ in queue.offer(line, sessions: 1, lossReport: Self.report) }
        #expect(accepted == [true, true, true, false], "120 > 100")
        let small = queue.offer([0x62], sessions: 5, lossReport: Self.report)
        #expect(!small, "still dropping, even what would fit")
        #expect(queue.lost == 6 && queue.dropping && queue.pending == 90)

        // 30 bytes read: 60 pending, more than half; still dropping.
        let first = queue.send { min($0.count, 30) }
        #expect(first == 30)
        queue.resumeIfRoom(lossReport: Self.report)
        #expect(queue.dropping && queue.lost == 6)
        // Half read: the report goes first, then lines again.
        let second = queue.send { min($0.count, 10) }
        let resumed = queue.offer([0x63, 0x0A], sessions: 1, lossReport: Self.report)
        #expect(second == 10 && resumed)
        #expect(!queue.dropping && queue.lost == 0)
        var rest: [UInt8] = []
        _ = queue.send { rest = Array($0); return $0.count }
        #expect(rest == line + line.prefix(20) + Array("lost 6\n".utf8) + [0x63, 0x0A])
        #expect(queue.pending == 0)
    }

    @Test func forcedBytesIgnoreTheCapacity() {
        var queue = StreamQueue(capacity: 10)
        queue.force([UInt8](repeating: 1, count: 50))
        #expect(queue.pending == 50)
        let offered = queue.offer([1], sessions: 1, lossReport: Self.report)
        #expect(!offered)
    }

    @Test func theLastLineComesAfterTheLossReportAndNothingAfterIt() {
        var queue = StreamQueue(capacity: 10)
        let fits = queue.offer([UInt8](repeating: 1, count: 8), sessions: 1, lossReport: Self.report)
        let overflows = queue.offer([1, 1, 1], sessions: 4, lossReport: Self.report)
        #expect(fits && !overflows)
        queue.finish(Array("end\n".utf8), lossReport: Self.report)
        #expect(queue.lost == 0 && !queue.dropping)
        var sent: [UInt8] = []
        _ = queue.send { sent = Array($0); return $0.count }
        #expect(sent == [UInt8](repeating: 1, count: 8) + Array("lost 4\nend\n".utf8))
    }

    @Test func aStreamOutlivesTheIdleTimeoutAndAHalfCloseThenFinishes() throws {
        let server = try ServerHarness { $0.idleTimeout = .milliseconds(100) }
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        let opened = try client.request(#"{"op": "follow", "lines": 3, "ms": 400, "finish": true}"#)
        #expect(opened.result?["streaming"] == .bool(true), "\(opened)")
        client.shutdownWrite()
        // Meanwhile the server answers others.
        #expect(try RawControlClient(socketPath: server.socketPath).request(#"{"op": "echo", "value": 1}"#).result != nil)
        for index in 0..<3 {
            #expect(try client.readLine()?.hasPrefix(#"{"line":\#(index),"#) == true)
        }
        #expect(try client.readLine() == #"{"event":"end"}"#)
        #expect(try client.readLine() == nil, "closed after the end line")
        #expect(Self.eventually { server.events.get().contains("stream closed") })
    }

    @Test func aClientThatDoesNotReadLosesLinesAndIsToldHowMany() throws {
        let server = try ServerHarness { $0.maxStreamBacklog = 8192 }
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        #expect(try client.request(#"{"op": "follow", "lines": 20000, "size": 100}"#).result != nil)
        usleep(300_000)
        var lines = 0, lost = 0, reports = 0
        while lines + lost < 20000, let line = try client.readLine(timeout: .milliseconds(3000)) {
            if line.hasPrefix(#"{"line":"#) { lines += 1 }
            if line.hasPrefix(#"{"event":"lost""#) {
                reports += 1
                lost += Int(try JSONValue.parse(line, path: "lost")["count"]?.integerValue ?? 0)
            }
        }
        #expect(lines + lost == 20000 && lost > 0 && reports >= 1, "\(lines) lines, \(lost) lost in \(reports) reports")
        // The connection is still streaming: nothing closed it.
        #expect(server.events.get().contains("stream closed") == false)
    }

    /// A follower that reads too late still sees every line shown or counted before the
    /// end, and the end last.
    @Test func aFinishedStreamReportsItsLossesBeforeTheEnd() throws {
        let server = try ServerHarness { $0.maxStreamBacklog = 8192 }
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        #expect(try client.request(#"{"op": "follow", "lines": 20000, "size": 100, "finish": true}"#).result != nil)
        usleep(300_000)
        var lines = 0, lost = 0
        var received: [String] = []
        while let line = try client.readLine(timeout: .milliseconds(3000)) {
            received.append(line)
            if line.hasPrefix(#"{"line":"#) { lines += 1 }
            if line.hasPrefix(#"{"event":"lost""#) {
                lost += Int(try JSONValue.parse(line, path: "lost")["count"]?.integerValue ?? 0)
            }
        }
        #expect(received.last == #"{"event":"end"}"#, "\(received.suffix(3))")
        #expect(lines + lost == 20000 && lost > 0, "\(lines) lines, \(lost) lost")
        #expect(Self.eventually { server.events.get().contains("stream closed") })
    }

    /// A following client has nothing more to ask: what it sends is read and discarded
    /// (neither answered nor handled), and the stream goes on to its end.
    @Test func requestsOnAStreamingConnectionAreDiscardedAndTheStreamGoesOn() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        #expect(try client.request(#"{"op": "follow", "lines": 3, "ms": 300, "finish": true}"#).result != nil)
        try client.send(#"{"op": "echo", "value": 1}"# + "\n" + #"{"op": "follow", "lines": 5}"# + "\nnot json\n")
        try client.send([UInt8](repeating: 0x78, count: server.configuration.maxLineLength + 10) + [0x0A])
        var received: [String] = []
        while let line = try client.readLine() { received.append(line) }
        #expect(received.count == 4 && received.last == #"{"event":"end"}"#, "\(received)")
        #expect(received.dropLast().allSatisfy { $0.hasPrefix(#"{"line":"#) }, "\(received)")
        #expect(server.handledRequests.isEmpty && !server.events.get().contains("stream 5"))
    }

    @Test func aRefusedStreamLeavesANormalConnection() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        #expect(try client.request(#"{"op": "follow", "refuse": true}"#).errorCode == .noSuchInstance)
        #expect(try client.request(#"{"op": "echo", "value": 2}"#).result?["value"] == .integer(2))
    }

    @Test func aClientThatLeavesEndsItsStream() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        var client: RawControlClient? = try RawControlClient(socketPath: server.socketPath)
        #expect(try client?.request(#"{"op": "follow"}"#).result != nil)
        client = nil
        #expect(Self.eventually { server.events.get().contains("stream closed") })
    }
}

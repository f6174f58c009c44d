import Configuration
import ControlProtocol
import Foundation
@testable import LinuxRuntime
import NetworkTestSupport
import SupervisorCore
import Testing

/// Requests and responses on one connection: ids, order, malformed input, long lines.
@Suite struct FramingTests {
    @Test func requestIsAnsweredWithItsIdAndTheProtocolVersion() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)

        try client.send(#"{"protocol": 1, "id": 7, "op": "echo", "value": "potato"}"# + "\n")
        let line = try #require(try client.readLine())
        let document = try JSONValue.parse(line, path: "response")
        #expect(document["protocol"]?.integerValue == 1)
        #expect(document["id"]?.integerValue == 7)
        #expect(document["ok"]?.boolValue == true)
        #expect(document["result"]?["op"]?.stringValue == "echo")
        #expect(document["result"]?["value"]?.stringValue == "potato")
        // The handler saw who asked: this very process, as root.
        #expect(document["result"]?["pid"]?.integerValue == Int64(getpid()))
        #expect(document["result"]?["uid"]?.integerValue == 0)

        // Any JSON value is an id, echoed as it came; no id, no "id" member.
        let structured = try client.request(#"{"id": {"a": [1, "two", null]}, "op": "echo"}"#)
        #expect(structured.id == .object([JSONValue.Member("a", .array([.integer(1), .string("two"), .null]))]))
        try client.send(#"{"op": "echo"}"# + "\n")
        let anonymous = try JSONValue.parse(try #require(try client.readLine()), path: "response")
        #expect(anonymous["id"] == nil)
        #expect(anonymous["ok"]?.boolValue == true)

        // Handler failures travel with their code and the id.
        let failed = try client.request(#"{"id": "x", "op": "fail"}"#)
        #expect(failed.id == .string("x"))
        #expect(failed.errorCode == .noSuchInstance)
        let unknown = try client.request(#"{"id": 3, "op": "frobnicate"}"#)
        #expect(unknown.errorCode == .unknownOp)
    }

    @Test func parseFailuresAreAnsweredByTheServerWithTheIdWhenKnown() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        let cases: [(String, ControlError.Code, JSONValue?)] = [
            ("not json", .badRequest, nil),
            ("[1, 2]", .badRequest, nil),
            (#"{"op": "echo", "op": "echo"}"#, .badRequest, nil),
            (#"{"id": 4, "protocol": 2, "op": "echo"}"#, .unsupportedProtocol, .integer(4)),
            (#"{"id": 5, "protocol": "1", "op": "echo"}"#, .wrongType, .integer(5)),
            (#"{"id": 6}"#, .missingField, .integer(6)),
            (#"{"id": 8, "op": 12}"#, .wrongType, .integer(8)),
            ("{\"id\": 9, \"op\": \"ec\u{0}ho\"}", .badRequest, nil),
        ]
        for (line, code, id) in cases {
            let response = try client.request(line)
            #expect(response.errorCode == code, "\(line)")
            #expect(response.id == id, "\(line)")
        }
        // Invalid UTF-8.
        try client.send([0x7B, 0xC3, 0x28, 0x7D, 0x0A])
        #expect(try client.response().errorCode == .badRequest)
        // Blank lines are not requests: nothing is answered for them.
        try client.send("\n  \r\n\t\n")
        #expect(try client.request(#"{"id": 10, "op": "echo"}"#).id == .integer(10))
        // None of the malformed lines reached the handler.
        #expect(server.handledRequests == ["handle echo 10"])
    }

    @Test func requestsOnOneConnectionAreHandledOneAtATimeInOrder() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        // All in one write: the first is answered late, the others must wait for it.
        try client.send("""
            {"id": 1, "op": "delay", "ms": 300}
            {"id": 2, "op": "echo"}
            garbage
            {"id": 3, "op": "delay", "ms": 20}
            {"id": 4, "op": "nope"}

            """)
        let start = MonotonicClock.nanoseconds()
        var ids: [JSONValue?] = []
        var codes: [ControlError.Code?] = []
        for _ in 0..<5 {
            let response = try client.response()
            ids.append(response.id)
            codes.append(response.errorCode)
        }
        let elapsed = MonotonicClock.nanoseconds() - start
        #expect(ids == [.integer(1), .integer(2), nil, .integer(3), .integer(4)])
        #expect(codes == [nil, nil, .badRequest, nil, .unknownOp])
        #expect(elapsed >= 300_000_000, "answered after \(elapsed) ns")
        // The handler never saw a request before the previous one was answered.
        #expect(server.events.get() == [
            "handle delay 1", "respond delay 1",
            "handle echo 2", "respond echo 2",
            "handle delay 3", "respond delay 3",
            "handle nope 4", "respond nope 4",
        ])
    }

    @Test func onlyTheFirstAnswerOfAResponderCounts() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        try client.send(#"{"id": 1, "op": "twice"}"# + "\n" + #"{"id": 2, "op": "echo"}"# + "\n")
        let first = try client.response()
        #expect(first.id == .integer(1))
        #expect(first.result == .string("first"))
        let second = try client.response()
        #expect(second.id == .integer(2))
        #expect(second.result?["op"]?.stringValue == "echo")
    }

    @Test func tooLongLineIsDiscardedAndTheConnectionStaysUsable() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)

        // 1 MiB + 10 bytes, sent in pieces, then a valid request on the same connection.
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
        for piece in stride(from: 0, to: long.count, by: 100_000) {
            try client.send(Array(long[piece..<min(piece + 100_000, long.count)]))
        }
        try client.send("\n" + #"{"id": 9, "op": "echo"}"# + "\n")
        let tooLong = try client.response()
        #expect(tooLong.errorCode == .lineTooLong)
        #expect(tooLong.id == nil)
        let valid = try client.response()
        #expect(valid.id == .integer(9))
        #expect(valid.result?["op"]?.stringValue == "echo")

        // Exactly 1 MiB is still a request.
        var exact = Array(#"{"id": 10, "op": "echo"}"#.utf8)
        exact.insert(contentsOf: [UInt8](repeating: 0x20, count: (1 << 20) - exact.count), at: 1)
        #expect(exact.count == 1 << 20)
        try client.send(exact + [0x0A])
        #expect(try client.response().id == .integer(10))

        // One byte more is not; a long line in one write with its newline, too.
        exact.insert(0x20, at: 1)
        try client.send(exact + [0x0A] + Array(#"{"id": 11, "op": "echo"}"#.utf8) + [0x0A])
        #expect(try client.response().errorCode == .lineTooLong)
        #expect(try client.response().id == .integer(11))
        #expect(server.handledRequests == ["handle echo 9", "handle echo 10", "handle echo 11"])
        #expect(server.log.messages.contains { $0.contains("line-too-long") })
    }

    @Test func tooLongLineArrivingWhileARequestIsInFlightWaitsItsTurn() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        var bytes = Array((#"{"id": 1, "op": "delay", "ms": 200}"# + "\n").utf8)
        bytes += [UInt8](repeating: UInt8(ascii: "b"), count: 3 << 19)   // 1.5 MiB
        bytes += Array(("\n" + #"{"id": 2, "op": "echo"}"# + "\n").utf8)
        // The server stops reading while the delay runs: send from another thread.
        let sender = Thread { [bytes] in try? client.send(bytes) }
        sender.start()
        let first = try client.response()
        #expect(first.id == .integer(1))
        #expect(first.errorCode == nil)
        #expect(try client.response().errorCode == .lineTooLong)
        #expect(try client.response().id == .integer(2))
    }

    @Test func randomBytesGetErrorAnswersAndTheServerGoesOn() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        var generator = SplitMix64(seed: 0x5EED_CAFE)

        // 64 KiB of random bytes with their newlines: one error per non-blank line,
        // one for the unterminated rest once the client stops sending.
        let noisy = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let segments = noisy.split(separator: 0x0A, omittingEmptySubsequences: false)
        let isBlank = { (segment: ArraySlice<UInt8>) in segment.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
        let expected = segments.filter { !isBlank($0) }.count
        #expect(expected > 100)
        let client = try RawControlClient(socketPath: server.socketPath)
        try client.send(noisy)
        client.shutdownWrite()
        var answers: [ControlResponse] = []
        while let line = try client.readLine() { answers.append(try ControlResponse.parse(line)) }
        #expect(answers.count == expected)
        #expect(answers.allSatisfy { $0.errorCode == .badRequest })

        // 64 KiB without a newline, then the newline: one error, same connection usable.
        let plain = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }.map { $0 == 0x0A ? 0x41 : $0 }
        let second = try RawControlClient(socketPath: server.socketPath)
        try second.send(plain + [0x0A])
        #expect(try second.response().errorCode == .badRequest)
        #expect(try second.request(#"{"id": 1, "op": "echo"}"#).id == .integer(1))

        // Without a newline and then end of input: one error, then the server closes.
        let third = try RawControlClient(socketPath: server.socketPath)
        try third.send(plain)
        third.shutdownWrite()
        let unterminated = try third.response()
        #expect(unterminated.errorCode == .badRequest)
        #expect(try third.readLine() == nil)

        #expect(try RawControlClient(socketPath: server.socketPath).request(#"{"id": 2, "op": "echo"}"#).id == .integer(2))
        #expect(server.handledRequests == ["handle echo 1", "handle echo 2"])
    }

    @Test func clientThatHalfClosesGetsAllItsAnswersThenTheConnectionEnds() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        try client.send(#"{"id": 1, "op": "delay", "ms": 100}"# + "\n" + #"{"id": 2, "op": "echo"}"# + "\n")
        client.shutdownWrite()
        #expect(try client.response().id == .integer(1))
        #expect(try client.response().id == .integer(2))
        #expect(try client.readLine() == nil)
        #expect(try server.waitForConnections(0) == 0)
    }

    @Test func endOfInputInsideATooLongLineIsAnsweredLineTooLong() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let client = try RawControlClient(socketPath: server.socketPath)
        try client.send([UInt8](repeating: UInt8(ascii: "c"), count: (1 << 20) + 4096))
        client.shutdownWrite()
        #expect(try client.response().errorCode == .lineTooLong)
        #expect(try client.readLine() == nil)
    }
}


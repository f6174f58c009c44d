import ControlProtocol
import Foundation
@testable import LinuxRuntime
import NetworkTestSupport
import SupervisorCore
import Testing

/// Many clients, limits, clients that vanish or stop reading, idle connections.
@Suite struct ConnectionTests {
    @Test func twoHundredConcurrentClientsEachGetTheirAnswer() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let start = MonotonicClock.nanoseconds()
        var clients = try (0..<200).map { _ in try RawControlClient(socketPath: server.socketPath) }
        // Every request waits 50 ms in the handler, so all 200 are in flight at once.
        for (index, client) in clients.enumerated() {
            try client.send(#"{"id": \#(index), "op": "delay", "ms": 50, "value": "client \#(index)"}"# + "\n")
        }
        #expect(try server.connectionCount() == 201)
        var answered = 0
        for (index, client) in clients.enumerated() {
            let response = try client.response()
            if response.id == .integer(Int64(index)),
               response.result?["value"]?.stringValue == "client \(index)" { answered += 1 }
        }
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e6
        #expect(answered == 200)
        // Handled concurrently: far less than 200 × 50 ms.
        #expect(elapsed < 5000, "200 clients took \(elapsed) ms")
        print("200 concurrent clients (connect, 50 ms handler, answer): \(String(format: "%.1f", elapsed)) ms")

        // The same with 200 threads, each connecting and asking on its own (once the
        // first 200 are gone: 400 would be over the limit).
        clients.removeAll()
        #expect(try server.waitForConnections(0) == 0)
        let threaded = Locked(0)
        let threadedStart = MonotonicClock.nanoseconds()
        let group = DispatchGroup()
        for index in 0..<200 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let client = try? RawControlClient(socketPath: server.socketPath),
                      let response = try? client.request(#"{"id": \#(index), "op": "echo"}"#),
                      response.id == .integer(Int64(index)) else { return }
                threaded.mutate { $0 += 1 }
            }.start()
        }
        group.wait()
        let threadedElapsed = Double(MonotonicClock.nanoseconds() - threadedStart) / 1e6
        #expect(threaded.get() == 200)
        print("200 clients on 200 threads (echo): \(String(format: "%.1f", threadedElapsed)) ms")
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() throws {
        let server = try ServerHarness { $0.maxConnections = 4 }
        defer { server.stop() }
        var clients = try (0..<4).map { _ in try RawControlClient(socketPath: server.socketPath) }
        for (index, client) in clients.enumerated() {
            #expect(try client.request(#"{"id": \#(index), "op": "echo"}"#).id == .integer(Int64(index)))
        }
        let extra = try RawControlClient(socketPath: server.socketPath)
        #expect(try extra.closesWithoutData())
        #expect(server.log.messages.contains { $0.contains("connection refused, 4 connections already open") })
        // A slot freed is a slot usable again.
        clients.removeFirst()
        var accepted: ControlResponse?
        for _ in 0..<100 where accepted == nil {
            let retry = try RawControlClient(socketPath: server.socketPath)
            accepted = try? retry.request(#"{"id": "again", "op": "echo"}"#, timeout: .milliseconds(500))
            if accepted == nil { usleep(10_000) }
        }
        #expect(accepted?.id == .string("again"))
        for client in clients { #expect(try client.request(#"{"op": "echo"}"#).errorCode == nil) }
    }

    @Test func theDefaultLimitIs256Connections() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        #expect(server.configuration.maxConnections == 256)
        let clients = try (0..<256).map { _ in try RawControlClient(socketPath: server.socketPath) }
        for client in clients { try client.send(#"{"op": "echo"}"# + "\n") }
        for client in clients { #expect(try client.response().errorCode == nil) }
        let extra = try RawControlClient(socketPath: server.socketPath)
        #expect(try extra.closesWithoutData())
    }

    @Test func clientsThatVanishAreCleanedUp() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        // Connect and vanish.
        for _ in 0..<50 { _ = try RawControlClient(socketPath: server.socketPath) }
        // Half a request, then vanish.
        for _ in 0..<20 { try RawControlClient(socketPath: server.socketPath).send(#"{"op": "echo", "value": "half"#) }
        // Vanish while the handler holds the request, and while a delayed answer is due.
        try RawControlClient(socketPath: server.socketPath).send(#"{"id": "held", "op": "hold"}"# + "\n")
        try RawControlClient(socketPath: server.socketPath).send(#"{"id": "late", "op": "delay", "ms": 100}"# + "\n")
        #expect(try server.waitForConnections(0) == 0)
        // Answering for a client that is gone does nothing (and breaks nothing).
        usleep(200_000)
        let client = try RawControlClient(socketPath: server.socketPath)
        let release = try client.request(#"{"op": "release"}"#)
        #expect(release.result?["released"]?.integerValue == 1)
        #expect(try client.request(#"{"id": 5, "op": "echo"}"#).id == .integer(5))
        let handled = server.handledRequests
        #expect(handled.filter { $0.hasPrefix("handle echo") } == ["handle echo 5"])
        #expect(handled.contains("handle hold \"held\""))
        #expect(server.events.get().contains("respond delay \"late\""))
        #expect(try server.waitForConnections(1) == 1)
    }

    @Test func idleConnectionsAreClosed() throws {
        // 1 s rather than 60: long enough that a loaded test machine does not make
        // the busy clients look idle.
        let server = try ServerHarness { $0.idleTimeout = .seconds(1) }
        defer { server.stop() }
        let start = MonotonicClock.nanoseconds()
        let idle = try RawControlClient(socketPath: server.socketPath)
        // Bytes without a newline are not a request: that client is idle too.
        let dribbling = try RawControlClient(socketPath: server.socketPath)
        try dribbling.send(#"{"op": "#)
        // Requests keep a connection alive; so does a request still being handled.
        let busy = try RawControlClient(socketPath: server.socketPath)
        let slow = try RawControlClient(socketPath: server.socketPath)
        try slow.send(#"{"id": "slow", "op": "delay", "ms": 1500}"# + "\n")
        var idleClosedAfter: UInt64?
        var index = 0
        while idleClosedAfter == nil && MonotonicClock.nanoseconds() - start < 5_000_000_000 {
            #expect(try busy.request(#"{"id": \#(index), "op": "echo"}"#).id == .integer(Int64(index)))
            index += 1
            if try idle.closesWithoutData(timeout: .milliseconds(50)) { idleClosedAfter = MonotonicClock.nanoseconds() - start }
        }
        let closedAfter = try #require(idleClosedAfter, "the idle client was not closed")
        // Not before the timeout; the sweep runs every timeout/4.
        #expect(closedAfter >= 1_000_000_000 && closedAfter < 3_000_000_000, "closed after \(closedAfter) ns")
        #expect(try dribbling.closesWithoutData(timeout: .milliseconds(2000)))
        // In flight for longer than the idle timeout, and still answered.
        #expect(try slow.response().id == .string("slow"))
        #expect(MonotonicClock.nanoseconds() - start >= 1_500_000_000)
        #expect(try busy.request(#"{"id": "still", "op": "echo"}"#).id == .string("still"))
        #expect(server.log.messages.contains { $0.contains("closed: idle") })
    }

    @Test func clientThatDoesNotReadIsDisconnectedAndOthersAreServed() throws {
        let server = try ServerHarness()
        defer { server.stop() }
        let greedy = try RawControlClient(socketPath: server.socketPath)
        let other = try RawControlClient(socketPath: server.socketPath)
        var sent = 0
        var failure: (any Error)?
        // 64 KiB answers that are never read: over 1 MiB pending after some 16 of them.
        while sent < 5000 {
            do {
                try greedy.send(#"{"id": \#(sent), "op": "big", "size": 65536}"# + "\n")
                sent += 1
            } catch {
                failure = error
                break
            }
            if sent % 8 == 0 {
                #expect(try other.request(#"{"id": \#(sent), "op": "echo"}"#).id == .integer(Int64(sent)))
            }
        }
        let code = (failure as? SystemError)?.errno
        #expect(code == EPIPE || code == ECONNRESET, "\(String(describing: failure)) after \(sent) requests")
        #expect(sent >= 16)
        #expect(server.log.messages.contains { $0.contains("does not read its responses") })
        #expect(try other.request(#"{"id": "after", "op": "echo"}"#).id == .string("after"))
        #expect(try server.waitForConnections(1) == 1)
        print("a client that does not read was disconnected after \(sent) requests of 64 KiB answers")
    }
}

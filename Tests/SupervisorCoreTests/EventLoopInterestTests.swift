import Foundation
@testable import LinuxRuntime
import Testing

/// The EventLoop additions the control server needs: write interest and paused reads.
@Suite struct EventLoopInterestTests {
    private func socketPair() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
            throw SystemError.lastError("socketpair")
        }
        return (fds[0], fds[1])
    }

    @Test func writeInterestCallsOnWritableUntilTurnedOff() throws {
        let (writableCalls, readableCalls) = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            let (mine, theirs) = try socketPair()
            defer { close(mine); close(theirs) }
            var writableCalls = 0, readableCalls = 0
            try loop.register(fd: mine, name: "pair", onReadable: { readableCalls += 1 }, onWritable: {
                writableCalls += 1
                if writableCalls == 3 { try loop.setInterest(fd: mine, readable: true, writable: false) }
            })
            // Off at first: nothing for 30 ms.
            try loop.scheduleTimer(name: "on", after: .milliseconds(30)) {
                #expect(writableCalls == 0)
                try loop.setInterest(fd: mine, readable: true, writable: true)
            }
            try loop.scheduleTimer(name: "end", after: .milliseconds(100)) { loop.stop() }
            try loop.run()
            return (writableCalls, readableCalls)
        }
        #expect(writableCalls == 3)
        #expect(readableCalls == 0)
    }

    @Test func pausedReadsAreNotReportedButHangUpsAre() throws {
        let calls = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            let (mine, theirs) = try socketPair()
            defer { close(mine) }
            var calls: [String] = []
            try loop.register(fd: mine, name: "pair", onReadable: {
                var entry = pollfd(fd: mine, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, 0)
                calls.append(entry.revents & Int16(POLLHUP) != 0 ? "hangup" : "input")
                if calls.last == "hangup" { loop.unregister(fd: mine); loop.stop() }
            }, onWritable: {})
            try loop.setInterest(fd: mine, readable: false, writable: false)
            _ = write(theirs, "x", 1)
            try loop.scheduleTimer(name: "hang up", after: .milliseconds(50)) { close(theirs) }
            try loop.scheduleTimer(name: "watchdog", after: .seconds(2)) { loop.stop() }
            try loop.run()
            return calls
        }
        #expect(calls == ["hangup"])
    }

    @Test func interestOfAnUnknownDescriptorIsAnError() throws {
        let error = try NamespaceThread.runOnFreshThread { () -> (any Error)? in
            let loop = try EventLoop()
            do { try loop.setInterest(fd: 12345, readable: true, writable: false) } catch { return error }
            return nil
        }
        #expect((error as? SystemError)?.errno == ENOENT)
    }
}

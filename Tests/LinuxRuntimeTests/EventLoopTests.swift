#if canImport(Glibc)
import Glibc
#endif
@testable import LinuxRuntime
import NetworkTestSupport
import Testing

/// Every loop runs on a fresh thread of its own, as in a worker, never on a
/// Swift Testing pool thread (which would also get its signal mask changed).
@Suite struct EventLoopTests {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }

    @Test func oneShotAndPeriodicTimersFire() throws {
        let (oneShot, periodic, elapsed, watchdogFired) = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            var oneShot = 0, periodic = 0, watchdogFired = false
            let start = MonotonicClock.nanoseconds()
            try loop.scheduleTimer(name: "once", after: .milliseconds(15)) { oneShot += 1 }
            try loop.scheduleTimer(name: "tick", after: .milliseconds(10), repeating: .milliseconds(10)) {
                periodic += 1
                if periodic == 5 { loop.stop() }
            }
            try loop.scheduleTimer(name: "watchdog", after: .seconds(5)) { watchdogFired = true; loop.stop() }
            try loop.run()
            return (oneShot, periodic, MonotonicClock.nanoseconds() - start, watchdogFired)
        }
        #expect(!watchdogFired)
        #expect(oneShot == 1)
        #expect(periodic == 5)
        // Fifth tick at 50 ms: not earlier (a timer firing early is a bug, late is load).
        #expect(elapsed >= 49_000_000, "elapsed \(elapsed) ns")
    }

    @Test func cancelledTimerStaysQuiet() throws {
        let ticks = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            var ticks = 0
            var tick: EventLoop.TimerID?
            tick = try loop.scheduleTimer(name: "tick", after: .milliseconds(5), repeating: .milliseconds(5)) {
                ticks += 1
                if ticks == 3 { loop.cancelTimer(tick!) }
            }
            try loop.scheduleTimer(name: "end", after: .milliseconds(120)) { loop.stop() }
            try loop.run()
            return ticks
        }
        #expect(ticks == 3)
    }

    @Test func throwingCallbackIsLoggedAndTheLoopGoesOn() throws {
        let capture = LogCapture()
        let ticks = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop(logger: capture.logger())
            var ticks = 0
            try loop.scheduleTimer(name: "faulty", after: .milliseconds(2), repeating: .milliseconds(2)) {
                ticks += 1
                if ticks == 8 { loop.stop(); return }
                throw Boom()
            }
            try loop.scheduleTimer(name: "watchdog", after: .seconds(5)) { loop.stop() }
            try loop.run()
            return ticks
        }
        #expect(ticks == 8)
        // 7 failures, the loop's rate limiter lets 5 through.
        #expect(capture.messages == Array(repeating: "error: timer faulty: boom", count: 5))
    }

    @Test func descriptorRemovedEarlierInTheSameBatchIsNotCalled() throws {
        let (calls, remaining) = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            var first: [Int32] = [0, 0], second: [Int32] = [0, 0]
            try check(pipe(&first) == 0 && pipe(&second) == 0, "pipe")
            defer { for fd in first + second { close(fd) } }
            // Both readable before the loop starts: one epoll_wait returns both.
            try check(write(first[1], "x", 1) == 1 && write(second[1], "y", 1) == 1, "write")
            var calls: [String] = []
            try loop.register(fd: first[0], name: "first") {
                calls.append("first")
                loop.unregister(fd: second[0])
            }
            try loop.register(fd: second[0], name: "second") {
                calls.append("second")
                loop.unregister(fd: first[0])
            }
            // Neither callback consumes its byte: level-triggered, the survivor keeps firing.
            try loop.scheduleTimer(name: "end", after: .milliseconds(30)) { loop.stop() }
            try loop.run()
            return (calls, loop.registeredDescriptorCount)
        }
        #expect(Set(calls).count == 1, "both callbacks ran: \(calls.prefix(4))")
        #expect(calls.count > 1)
        #expect(remaining == 1)
    }

    @Test func loopCanRunAgainAfterStop() throws {
        let rounds = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            var rounds = 0
            for _ in 0..<3 {
                try loop.scheduleTimer(name: "round", after: .milliseconds(1)) { rounds += 1; loop.stop() }
                try loop.run()
            }
            return rounds
        }
        #expect(rounds == 3)
    }

    /// A process-directed kill(getpid(), SIGHUP) would reach a signalfd only if
    /// every thread of the process blocked SIGHUP; the test runner's threads do
    /// not, so such a signal would kill the test process. Instead the loop lives
    /// on a thread of its own that blocks the signals (handleSignals does that)
    /// and sends them to itself with pthread_kill: thread-directed, blocked, hence
    /// pending for exactly that thread, where its signalfd picks them up. The
    /// signalfd path is the same one a worker's process-directed SIGTERM takes
    /// (the worker blocks the signals before it starts any thread).
    @Test func signalsArriveThroughSignalfd() throws {
        let (received, blockedAfterwards, watchdogFired) = try NamespaceThread.runOnFreshThread {
            let loop = try EventLoop()
            var received: [Int32] = []
            var watchdogFired = false
            try loop.handleSignals(EventLoop.controlSignals) { signal in
                received.append(signal)
                if received.count == 3 { loop.stop() }
            }
            try loop.scheduleTimer(name: "raise", after: .milliseconds(5)) {
                let me = pthread_self()
                for signal in [SIGHUP, SIGINT, SIGTERM] {
                    let status = pthread_kill(me, signal)
                    // A throw here is logged by the loop; the missing signal then fails the test.
                    guard status == 0 else { throw SystemError("pthread_kill", errno: status, context: signalName(signal)) }
                }
            }
            try loop.scheduleTimer(name: "watchdog", after: .seconds(5)) { watchdogFired = true; loop.stop() }
            try loop.run()

            var mask = sigset_t()
            pthread_sigmask(SIG_BLOCK, nil, &mask)
            let blocked = EventLoop.controlSignals.allSatisfy { sigismember(&mask, $0) == 1 }
            return (received, blocked, watchdogFired)
        }
        #expect(!watchdogFired)
        // Pending standard signals are dequeued lowest number first.
        #expect(received == [SIGHUP, SIGINT, SIGTERM])
        #expect(blockedAfterwards)
    }
}

@testable import LinuxRuntime
import NetworkTestSupport
import Testing

@Suite struct RateLimiterTests {
    static let ms: UInt64 = 1_000_000

    @Test func allowsTheLimitThenCountsUntilTheNextWindow() {
        var limiter = RateLimiter(limit: 3, interval: .seconds(1))
        let verdicts = (0..<6).map { limiter.check("bad datagram", now: UInt64($0) * Self.ms) }
        #expect(verdicts == [.allow(suppressedBefore: 0), .allow(suppressedBefore: 0), .allow(suppressedBefore: 0),
                             .suppress, .suppress, .suppress])
        // Still inside the window that opened at 0 ms.
        #expect(limiter.check("bad datagram", now: 999 * Self.ms) == .suppress)
        // The next window reports the four suppressed messages once.
        #expect(limiter.check("bad datagram", now: 1000 * Self.ms) == .allow(suppressedBefore: 4))
        #expect(limiter.check("bad datagram", now: 1001 * Self.ms) == .allow(suppressedBefore: 0))
    }

    @Test func keysAreIndependent() {
        var limiter = RateLimiter(limit: 1, interval: .seconds(10))
        #expect(limiter.check("kernel error", now: 0) == .allow(suppressedBefore: 0))
        #expect(limiter.check("kernel error", now: 1) == .suppress)
        #expect(limiter.check("bad datagram", now: 2) == .allow(suppressedBefore: 0))
        #expect(limiter.check("bad datagram", now: 3) == .suppress)
        #expect(limiter.check("bad datagram", now: 4) == .suppress)
        #expect(limiter.check("kernel error", now: 10_001 * Self.ms) == .allow(suppressedBefore: 1))
        #expect(limiter.check("bad datagram", now: 10_001 * Self.ms) == .allow(suppressedBefore: 2))
    }

    @Test func tableOfKeysIsCapped() {
        var limiter = RateLimiter(limit: 1, interval: .seconds(1), maxKeys: 2)
        #expect(limiter.check("a", now: 0) == .allow(suppressedBefore: 0))
        #expect(limiter.check("b", now: 0) == .allow(suppressedBefore: 0))
        #expect(limiter.check("c", now: 0) == .suppress)
        #expect(limiter.suppressedForUnknownKeys == 1)
        // Once "a" and "b" expired with nothing to report, "c" finds room.
        #expect(limiter.check("c", now: 1000 * Self.ms) == .allow(suppressedBefore: 0))
    }

    @Test func logAppendsTheSuppressedCount() {
        let capture = LogCapture()
        let logger = capture.logger()
        var limiter = RateLimiter(limit: 2, interval: .seconds(1))
        for index in 0..<5 {
            limiter.log(logger, .warning, key: "bad", "bad datagram #\(index)", now: UInt64(index))
        }
        limiter.log(logger, .warning, key: "bad", "bad datagram #5", now: 2000 * Self.ms)
        #expect(capture.messages == ["warning: bad datagram #0", "warning: bad datagram #1",
                                     "warning: bad datagram #5 (3 similar messages suppressed)"])
    }
}

import Logging

/// Per-key log throttle for messages an outsider can trigger at will (hostile
/// datagrams, kernel error storms): each key may pass `limit` times per
/// `interval`; the rest are counted, and the first message of the next window
/// carries "(N similar messages suppressed)".
///
/// Keys should name message kinds, not senders, so the table stays small; it is
/// capped at `maxKeys` anyway, and messages for keys beyond the cap are dropped
/// and counted in `suppressedForUnknownKeys`.
public struct RateLimiter: Sendable {
    public enum Verdict: Equatable, Sendable {
        /// Log it; `suppressedBefore` messages of this key were dropped since the last one logged.
        case allow(suppressedBefore: Int)
        case suppress
    }

    private struct Window: Sendable {
        var start: UInt64
        var allowed: Int
        var suppressed: Int
    }

    public let limit: Int
    public let intervalNanoseconds: UInt64
    public let maxKeys: Int
    public private(set) var suppressedForUnknownKeys = 0
    private var windows: [String: Window] = [:]

    public init(limit: Int, interval: Duration, maxKeys: Int = 256) {
        self.limit = max(1, limit)
        self.intervalNanoseconds = max(1, interval.clampedNanoseconds)
        self.maxKeys = max(1, maxKeys)
    }

    /// Decides about one message of `key` at monotonic time `now` (nanoseconds).
    public mutating func check(_ key: String, now: UInt64 = MonotonicClock.nanoseconds()) -> Verdict {
        guard var window = windows[key] else {
            if windows.count >= maxKeys { pruneExpired(now: now) }
            guard windows.count < maxKeys else {
                suppressedForUnknownKeys += 1
                return .suppress
            }
            windows[key] = Window(start: now, allowed: 1, suppressed: 0)
            return .allow(suppressedBefore: 0)
        }
        if now &- window.start >= intervalNanoseconds {
            windows[key] = Window(start: now, allowed: 1, suppressed: 0)
            return .allow(suppressedBefore: window.suppressed)
        }
        if window.allowed < limit {
            window.allowed += 1
            windows[key] = window
            return .allow(suppressedBefore: 0)
        }
        window.suppressed += 1
        windows[key] = window
        return .suppress
    }

    /// Logs `message` through `logger` unless `key` is over its limit.
    public mutating func log(_ logger: Logger, _ level: Logger.Level, key: String,
                             _ message: @autoclosure () -> String,
                             now: UInt64 = MonotonicClock.nanoseconds()) {
        guard case .allow(let suppressed) = check(key, now: now) else { return }
        let suffix = suppressed > 0 ? " (\(suppressed) similar messages suppressed)" : ""
        logger.log(level: level, "\(message())\(suffix)")
    }

    /// Forgets windows that have expired with nothing suppressed (nothing to report).
    private mutating func pruneExpired(now: UInt64) {
        windows = windows.filter { _, window in
            window.suppressed > 0 || now &- window.start < intervalNanoseconds
        }
    }
}

/// Restart delays for a worker that died: a short first delay doubling to a ceiling,
/// back to the first after the worker ran stably for a while.
public struct Backoff: Equatable, Sendable {
    public static let first: Duration = .milliseconds(100)
    public static let ceiling: Duration = .seconds(30)
    public static let stablePeriod: Duration = .seconds(60)

    public private(set) var next: Duration = Backoff.first

    public init() {}

    /// The delay before the next start, given how long the last worker ran.
    public mutating func delay(afterRunningFor uptime: Duration) -> Duration {
        if uptime >= Self.stablePeriod { next = Self.first }
        let delay = next
        next = min(next * 2, Self.ceiling)
        return delay
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CShim

extension EventLoop {
    /// Identifies a scheduled timer, for `cancelTimer`.
    public struct TimerID: Hashable, Sendable {
        let token: UInt64
    }

    /// Runs `handler` once after `delay`, then every `interval` if one is given.
    /// Each timer is its own timerfd on CLOCK_MONOTONIC; ticks missed while a
    /// callback was busy are coalesced into one call. A one-shot timer is removed
    /// before its handler runs, so the handler may schedule a new one.
    @discardableResult
    public func scheduleTimer(name: String, after delay: Duration, repeating interval: Duration? = nil,
                              _ handler: @escaping () throws -> Void) throws(SystemError) -> TimerID {
        let fd = cshim_timerfd_create()
        guard fd >= 0 else { throw SystemError.lastError("timerfd_create", name) }
        // An initial value of 0 would disarm the timer: "now" becomes 1 ns.
        let initial = max(1, delay.clampedNanoseconds)
        let period = interval.map { max(1, $0.clampedNanoseconds) } ?? 0
        guard cshim_timerfd_arm(fd, initial, period) == 0 else {
            let error = SystemError.lastError("timerfd_settime", name)
            close(fd)
            throw error
        }

        var token: UInt64 = 0
        let source = Source(fd: fd, name: "timer \(name)", ownsDescriptor: true) { [unowned self] in
            var expirations: UInt64 = 0
            do {
                try SystemCall.retrying("read(timerfd)", name) { read(fd, &expirations, MemoryLayout<UInt64>.size) }
            } catch let error as SystemError where error.errno == EAGAIN {
                return   // spurious wake-up
            }
            if period == 0 { self.removeSource(token: token) }
            try handler()
        }
        do {
            token = try addSource(source)
        } catch {
            close(fd)
            throw error
        }
        return TimerID(token: token)
    }

    /// Cancels a timer; harmless if it already fired (one-shot) or was cancelled.
    public func cancelTimer(_ id: TimerID) {
        removeSource(token: id.token)
    }
}

import ControlProtocol
import Glibc
import LinuxRuntime

/// One worker process of an instance, from its launch until it is reaped: what exists
/// only while a process does (its pid, channel, reports, the requests it owes answers).
final class LiveWorker {
    let pid: pid_t
    /// The supervisor's end of the socketpair; nil once the worker closed its end or
    /// could not be sent to any more (it is exiting: SIGCHLD tells how).
    var channel: WorkerChannel?
    let startedAt = MonotonicClock.nanoseconds()
    /// The worker's last account of itself (nil: none yet, it is starting).
    var report: WorkerReport?
    /// Its last fatal message, to explain its exit.
    var fatalMessage: String?
    /// Told to send its sessions (someone follows the instance).
    var feeding = false
    /// Sends that failed (the worker's queue full, or the worker gone), for the log.
    var failedSends = 0
    var pendingStats: [Int64: (WorkerMessage?) -> Void] = [:]
    var pendingAdvertise: [Int64: (Result<AdvertiseOutcome, ControlError>) -> Void] = [:]

    init(pid: pid_t, channel: WorkerChannel) {
        self.pid = pid
        self.channel = channel
    }

    var state: InstanceState { report?.state ?? .starting }

    var uptime: Duration { .nanoseconds(Int64(MonotonicClock.nanoseconds() - startedAt)) }

    /// Answers every request still waiting on this worker, which went away.
    func failPending(_ error: ControlError) {
        let stats = pendingStats, advertise = pendingAdvertise
        pendingStats = [:]
        pendingAdvertise = [:]
        stats.values.forEach { $0(nil) }
        advertise.values.forEach { $0(.failure(error)) }
    }
}

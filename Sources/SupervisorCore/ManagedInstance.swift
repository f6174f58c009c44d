import Configuration
import ControlProtocol
import Glibc
import LinuxRuntime

/// One instance under supervision: what the operator asked for, its current worker
/// process, and its history (restarts, last error).
final class ManagedInstance {
    var spec: InstanceSpec
    let namespace: NamespaceReference

    var state: InstanceState = .starting
    var pid: pid_t?
    var control: Int32?
    var startedAt: UInt64?
    var starts = 0
    var lastError: String?
    /// The worker's last account of itself.
    var report: WorkerReport?
    /// The last fatal message of the current worker, to explain its exit.
    var fatalMessage: String?
    var backoff = Backoff()
    var restartTimer: EventLoop.TimerID?
    var killTimer: EventLoop.TimerID?
    /// Removed, or the supervisor is stopping: do not restart.
    var retiring = false
    /// Restart at once when the current worker exits (its spec changed).
    var restartWhenStopped = false
    /// The current worker was told to send its sessions (someone follows).
    var feeding = false

    /// Callbacks waiting for the worker's first report, or its failure.
    var firstReportWaiters: [(Result<Void, ControlError>) -> Void] = []
    var pendingStats: [Int64: (WorkerMessage?) -> Void] = [:]
    var pendingAdvertise: [Int64: (Result<AdvertiseOutcome, ControlError>) -> Void] = [:]

    init(spec: InstanceSpec, namespace: NamespaceReference) {
        self.spec = spec
        self.namespace = namespace
    }

    var key: InstanceKey { spec.key }

    var restarts: Int { max(starts - 1, 0) }

    var uptime: Duration? {
        startedAt.map { .nanoseconds(Int64(MonotonicClock.nanoseconds() - $0)) }
    }

    var statusRecord: InstanceStatusRecord {
        InstanceStatusRecord(
            instance: spec.name, netns: spec.netns, state: state, pid: pid,
            uptimeSeconds: pid == nil ? nil : uptime.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 },
            restarts: restarts, lastError: lastError,
            waitingFor: state == .waiting ? report?.waitingFor : nil,
            ssEnabled: report?.ssEnabled, kernelVersion: report?.kernelVersion,
            multicast: report?.multicast, statsPort: report?.statsPort,
            advertiseRate: spec.advertiseRate ?? AdvertiseRate.defaultValue)
    }

    /// Answers everything still waiting on the worker that just went away.
    func failPending(_ error: ControlError) {
        firstReportWaiters.forEach { $0(.failure(error)) }
        firstReportWaiters = []
        pendingStats.values.forEach { $0(nil) }
        pendingStats = [:]
        pendingAdvertise.values.forEach { $0(.failure(error)) }
        pendingAdvertise = [:]
    }
}

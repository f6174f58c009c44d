import Configuration
import ControlProtocol
import LinuxRuntime

/// One instance under supervision: what the operator asked for, where its worker is in
/// its life (`phase`), and its history (starts, last error, backoff).
final class ManagedInstance {
    var spec: InstanceSpec
    let namespace: NamespaceReference
    /// Changed only by the transitions in Supervisor+Lifecycle.swift.
    var phase: Phase = .unstarted
    var starts = 0
    var lastError: String?
    var backoff = Backoff()
    /// `add` waiting for the first report of this instance's worker (or a later one's,
    /// if the first could not start), or its failure.
    var firstReportWaiters: [(Result<Void, ControlError>) -> Void] = []

    /// Where the instance's worker is in its life.
    enum Phase {
        /// Just created: its first worker is launched next.
        case unstarted
        /// A worker process, from its launch until it exits; starting, waiting or running
        /// as it reports.
        case running(LiveWorker)
        /// The worker was asked to stop (and is killed if it has not by `killTimer`);
        /// when it has exited, `then`.
        case stopping(LiveWorker, killTimer: EventLoop.TimerID?, then: AfterStop)
        /// The worker died; the next starts when `restartTimer` fires. `lastReport`: the
        /// dead worker's last account, which the status still shows.
        case backingOff(restartTimer: EventLoop.TimerID?, lastReport: WorkerReport?)
        /// Removed, or the supervisor is stopping: no worker, and none to come.
        case retired
    }

    enum AfterStop {
        /// The definition changed: start the next worker at once.
        case restart
        /// Removed, or the supervisor is stopping.
        case retire
    }

    init(spec: InstanceSpec, namespace: NamespaceReference) {
        self.spec = spec
        self.namespace = namespace
    }

    var key: InstanceKey { spec.key }

    var restarts: Int { max(starts - 1, 0) }

    /// The worker process, while there is one (until it is reaped).
    var worker: LiveWorker? {
        switch phase {
        case let .running(worker), let .stopping(worker, _, _): return worker
        case .unstarted, .backingOff, .retired: return nil
        }
    }

    var state: InstanceState {
        switch phase {
        case let .running(worker), let .stopping(worker, _, _): return worker.state
        case .unstarted: return .starting
        case .backingOff: return .backingOff
        case .retired: return .stopped
        }
    }

    var statusRecord: InstanceStatusRecord {
        let report: WorkerReport?
        switch phase {
        case let .running(worker), let .stopping(worker, _, _): report = worker.report
        case let .backingOff(_, lastReport): report = lastReport
        case .unstarted, .retired: report = nil
        }
        let uptime = worker?.uptime
        return InstanceStatusRecord(
            instance: spec.name, netns: spec.netns, state: state, pid: worker?.pid,
            uptimeSeconds: uptime.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 },
            restarts: restarts, lastError: lastError,
            waitingFor: state == .waiting ? report?.waitingFor : nil,
            ssEnabled: report?.ssEnabled, kernelVersion: report?.kernelVersion,
            multicast: report?.multicast, statsPort: report?.statsPort,
            advertiseRate: spec.advertiseRate ?? AdvertiseRate.defaultValue)
    }

    /// Answers `add` with the failure of the worker it waited for.
    func failFirstReportWaiters(_ error: ControlError) {
        let waiters = firstReportWaiters
        firstReportWaiters = []
        waiters.forEach { $0(.failure(error)) }
    }
}

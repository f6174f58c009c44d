import ControlProtocol
import Glibc
import LinuxRuntime
import Logging

/// joold-supervisor's logic: one worker process per (namespace, instance), started,
/// watched and restarted with backoff; the set of instances persisted in the state
/// file; control requests answered (Supervisor+Operations.swift). Runs on one event
/// loop and never switches namespaces itself: each worker enters its own.
public final class Supervisor: ControlHandler {
    public static let version = ProjectVersion.string
    /// How long `add` waits for the new worker's first report (a worker starts in
    /// milliseconds on real hardware, in seconds under emulation).
    public static let firstReportTimeout: Duration = .seconds(10)
    public static let stopTimeout: Duration = .seconds(5)

    let loop: EventLoop
    let stateFile: StateFile
    let launcher: WorkerLauncher
    let logger: Logger
    var instances: [InstanceKey: ManagedInstance] = [:]
    /// Every live worker process, including those of removed instances until reaped.
    var children: [pid_t: ManagedInstance] = [:]
    var nextRequestID: Int64 = 1
    /// The `follow` connections (Supervisor+Follow.swift).
    var followers = Followers()
    /// One buffer for every worker's messages (they are read one at a time).
    let workerBuffer = WorkerChannel.ReceiveBuffer()
    /// SIGTERM: every worker is stopping, none starts again.
    private(set) var stopping = false
    private var onStopped: (() -> Void)?

    public init(loop: EventLoop, stateFile: StateFile, launcher: WorkerLauncher, logger: Logger) {
        self.loop = loop
        self.stateFile = stateFile
        self.launcher = launcher
        self.logger = logger
    }

    /// Loads the state file and starts a worker for every instance in it.
    public func start() throws(ControlError) {
        for spec in try stateFile.load(missingIsEmpty: true) {
            let managed = ManagedInstance(spec: spec, namespace: try NamespaceReference(spec.netns))
            instances[managed.key] = managed
            startWorker(managed)
        }
        logger.notice("supervising \(instances.count) instance(s) from \(stateFile.path)")
    }

    // MARK: - Worker messages

    func workerReadable(_ managed: ManagedInstance, _ worker: LiveWorker) {
        // At most 64 messages at a time: a worker feeding sessions to followers must not
        // keep the loop from the others (the descriptor stays readable, so we come back).
        for _ in 0..<64 {
            guard let channel = worker.channel else { return }
            switch channel.receive() {
            case .nothing:
                return
            case .closed:
                // The worker closed its end: it is exiting; SIGCHLD tells how.
                closeChannel(of: worker)
                return
            case .unreadable:
                logger.error("\(managed.key): unreadable message from worker \(worker.pid)")
            case let .message(message):
                handle(message, from: managed, worker)
            }
        }
    }

    private func handle(_ message: WorkerMessage, from managed: ManagedInstance, _ worker: LiveWorker) {
        switch message {
        case let .status(report):
            worker.report = report
            let waiters = managed.firstReportWaiters
            managed.firstReportWaiters = []
            waiters.forEach { $0(.success(())) }
        case let .fatal(error, configuration):
            worker.fatalMessage = error
            managed.lastError = error
            managed.failFirstReportWaiters(ControlError(configuration ? .invalidConfig : .internal, error))
        case let .stats(id, _, _):
            worker.pendingStats.removeValue(forKey: id)?(message)
        case let .advertised(id, outcome):
            worker.pendingAdvertise.removeValue(forKey: id)?(outcome)
        case let .sessions(batch):
            deliver(batch, from: managed)
        default:
            logger.error("\(managed.key): unexpected message from the worker: \(message.json.serialized())")
        }
    }

    /// Sends to the instance's worker; false when it has none or the send failed. A
    /// failure is counted and logged, and a worker gone (EPIPE, ECONNRESET) is treated as
    /// one that closed its end; the caller answers what depended on the message.
    @discardableResult
    func send(_ message: WorkerMessage, to managed: ManagedInstance) -> Bool {
        guard let worker = managed.worker, let channel = worker.channel else { return false }
        do {
            try channel.send(message)
            return true
        } catch {
            worker.failedSends += 1
            logger.error("\(managed.key): cannot send to worker \(worker.pid) (\(worker.failedSends) failed): \(error)")
            if error.errno == EPIPE || error.errno == ECONNRESET { closeChannel(of: worker) }
            return false
        }
    }

    func closeChannel(of worker: LiveWorker) {
        guard let channel = worker.channel else { return }
        loop.unregister(fd: channel.fd)
        channel.close()
        worker.channel = nil
    }

    /// Persists the current set of instances (refused when the file changed behind our back).
    func persist() throws(ControlError) {
        try stateFile.save(instances.values.map(\.spec))
    }

    // MARK: - Stopping

    /// SIGTERM: stops every worker (gracefully, then forcibly) and calls `done`.
    public func shutdown(_ done: @escaping () -> Void) {
        stopping = true
        onStopped = done
        for managed in instances.values { stopWorker(managed, then: .retire) }
        finishStoppingIfDone()
    }

    func finishStoppingIfDone() {
        guard stopping, children.isEmpty, let done = onStopped else { return }
        onStopped = nil
        done()
    }
}

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
    private var workerBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var stopping = false
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

    // MARK: - Workers

    func startWorker(_ managed: ManagedInstance) {
        managed.restartTimer = nil
        managed.fatalMessage = nil
        managed.report = nil
        let launched: WorkerLauncher.Launched
        do {
            launched = try launcher.launch()
        } catch {
            managed.lastError = "cannot start the worker: \(error)"
            logger.error("\(managed.key): \(managed.lastError!)")
            managed.failPending(ControlError(.internal, managed.lastError!))
            scheduleRestart(managed, uptime: .zero)
            return
        }
        managed.pid = launched.pid
        managed.control = launched.control
        managed.startedAt = MonotonicClock.nanoseconds()
        managed.starts += 1
        managed.state = .starting
        children[launched.pid] = managed
        do {
            try loop.register(fd: launched.control, name: "worker \(launched.pid)") { [unowned self, unowned managed] in
                workerReadable(managed)
            }
        } catch {
            logger.error("\(managed.key): cannot watch worker \(launched.pid): \(error)")
        }
        send(.configure(WorkerSpec(instance: managed.spec, netnsPath: managed.namespace.path)), to: managed)
        managed.feeding = false
        updateFeed(managed)
        logger.info("\(managed.key): worker \(launched.pid) started (start #\(managed.starts))")
    }

    func send(_ message: WorkerMessage, to managed: ManagedInstance) {
        guard let control = managed.control else { return }
        let bytes = message.encoded
        _ = try? SystemCall.retrying("send", "worker channel") {
            bytes.withUnsafeBytes { Glibc.send(control, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        }
    }

    private func workerReadable(_ managed: ManagedInstance) {
        // At most 64 messages at a time: a worker feeding sessions to followers must not
        // keep the loop from the others (the descriptor stays readable, so we come back).
        for _ in 0..<64 {
            guard let control = managed.control else { return }
            let count: Int
            do {
                count = try SystemCall.retrying("recv", "worker channel") {
                    workerBuffer.withUnsafeMutableBytes { recv(control, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                }
            } catch {
                if error.errno == EAGAIN { return }
                count = 0   // a failing channel is as good as closed
            }
            guard count > 0 else {
                // The worker closed its end: it is exiting; SIGCHLD tells how.
                closeControl(managed)
                return
            }
            guard let message = WorkerMessage.decode(Array(workerBuffer[0..<count])) else {
                logger.error("\(managed.key): unreadable message from worker \(managed.pid ?? 0)")
                continue
            }
            handle(message, from: managed)
        }
    }

    private func handle(_ message: WorkerMessage, from managed: ManagedInstance) {
        switch message {
        case let .status(report):
            managed.report = report
            managed.state = report.state
            let waiters = managed.firstReportWaiters
            managed.firstReportWaiters = []
            waiters.forEach { $0(.success(())) }
        case let .fatal(error, configuration):
            managed.fatalMessage = error
            managed.lastError = error
            let waiters = managed.firstReportWaiters
            managed.firstReportWaiters = []
            waiters.forEach { $0(.failure(ControlError(configuration ? .invalidConfig : .internal, error))) }
        case let .stats(id, _, _):
            managed.pendingStats.removeValue(forKey: id)?(message)
        case let .advertised(id, outcome):
            managed.pendingAdvertise.removeValue(forKey: id)?(outcome)
        case let .sessions(batch):
            deliver(batch, from: managed)
        default:
            logger.error("\(managed.key): unexpected message from the worker: \(message.json.serialized())")
        }
    }

    private func closeControl(_ managed: ManagedInstance) {
        guard let control = managed.control else { return }
        loop.unregister(fd: control)
        close(control)
        managed.control = nil
    }

    /// SIGCHLD: reaps every exited worker.
    public func reapChildren() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            guard let managed = children.removeValue(forKey: pid) else { continue }
            workerExited(managed, pid: pid, status: status)
        }
    }

    private func workerExited(_ managed: ManagedInstance, pid: pid_t, status: Int32) {
        let uptime = managed.uptime ?? .zero
        let how = Self.describeExit(status)
        closeControl(managed)
        if let killTimer = managed.killTimer { loop.cancelTimer(killTimer) }
        managed.killTimer = nil
        managed.pid = nil
        managed.startedAt = nil
        let explanation = managed.fatalMessage.map { "worker \(how): \($0)" } ?? "worker \(how)"
        managed.failPending(ControlError(.notRunning, "the worker of \(managed.key) \(how)"))
        if managed.retiring || stopping {
            managed.state = .stopped
            logger.info("\(managed.key): worker \(pid) \(how)")
            finishStoppingIfDone()
            return
        }
        if managed.restartWhenStopped {
            managed.restartWhenStopped = false
            startWorker(managed)
            return
        }
        managed.lastError = explanation
        logger.warning("\(managed.key): \(explanation); restarting")
        scheduleRestart(managed, uptime: uptime)
    }

    private func scheduleRestart(_ managed: ManagedInstance, uptime: Duration) {
        managed.state = .backingOff
        let delay = managed.backoff.delay(afterRunningFor: uptime)
        managed.restartTimer = try? loop.scheduleTimer(name: "restart \(managed.key)", after: delay) {
            [unowned self, weak managed] in
            guard let managed, !managed.retiring, !stopping else { return }
            startWorker(managed)
        }
    }

    static func describeExit(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGSEGV ? " (SIGSEGV)" : "")"
    }

    /// Asks a worker to stop (message and SIGTERM), and kills it if it has not exited
    /// after `stopTimeout`.
    func stopWorker(_ managed: ManagedInstance) {
        if let restartTimer = managed.restartTimer { loop.cancelTimer(restartTimer) }
        managed.restartTimer = nil
        guard let pid = managed.pid else {
            managed.state = .stopped
            return
        }
        send(.stop, to: managed)
        kill(pid, SIGTERM)
        managed.killTimer = try? loop.scheduleTimer(name: "kill \(pid)", after: Self.stopTimeout) { [unowned self, weak managed] in
            guard let managed, managed.pid == pid else { return }
            logger.warning("\(managed.key): worker \(pid) did not stop within \(Self.stopTimeout); killing it")
            kill(pid, SIGKILL)
        }
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
        for managed in instances.values {
            managed.retiring = true
            stopWorker(managed)
        }
        finishStoppingIfDone()
    }

    private func finishStoppingIfDone() {
        guard stopping, children.isEmpty, let done = onStopped else { return }
        onStopped = nil
        done()
    }
}

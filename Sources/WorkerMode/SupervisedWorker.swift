import Configuration
import ControlProtocol
import CShim
import Glibc
import JoolWire
import LinuxRuntime
import Logging
import Relay

/// A worker process started by joold-supervisor: it receives its configuration over its
/// socketpair, enters its network namespace before it opens any socket (and never
/// starts a thread), waits out missing prerequisites instead of failing, reports every
/// change of state, and answers the supervisor's requests (stats, advertise, stop).
///
/// It exists once the supervisor's spec has arrived (see `run`); from then on it goes
/// through its `Phase`s.
public final class SupervisedWorker {
    public static let retryInterval: Duration = .seconds(2)
    public static let namespaceCheckInterval: Duration = .seconds(2)

    /// Where the worker is on its way to relaying; each phase holds what exists in it.
    private enum Phase {
        /// Kept out of its network namespace (it does not exist yet, or setns failed);
        /// nothing is open yet, so `retry` tries again.
        case enteringNamespace(retry: EventLoop.TimerID?)
        /// In the namespace, the configuration resolved there: waiting for the Jool
        /// kernel module and the instance, which `retry` looks for again.
        case waitingForKernel(WorkerConfiguration, retry: EventLoop.TimerID?)
        /// Relaying; the monitor reports when the instance stops allowing it (ss-enabled
        /// false, the instance gone) and when it allows it again.
        case running(Running)
    }

    /// What a relaying worker holds.
    private final class Running {
        let worker: SyncWorker
        let monitor: InstanceMonitor
        /// The worker's own advertisement, for kernels whose JNLOP_JOOLD_ADVERTISE does nothing.
        let advertiser: Advertiser
        let statsServer: StatsServer?
        let feed: SessionFeed
        /// Reports the feed's losses while someone follows.
        var feedTimer: EventLoop.TimerID?

        init(worker: SyncWorker, monitor: InstanceMonitor, advertiser: Advertiser, statsServer: StatsServer?, feed: SessionFeed) {
            self.worker = worker
            self.monitor = monitor
            self.advertiser = advertiser
            self.statsServer = statsServer
            self.feed = feed
        }
    }

    private let control: WorkerChannel
    private let logger: Logger
    private let environment: [String: String]
    private let spec: WorkerSpec
    private var instance: InstanceSpec { spec.instance }
    private let loop: EventLoop
    private var phase = Phase.enteringNamespace(retry: nil)
    private var running: Running? {
        if case let .running(running) = phase { return running }
        return nil
    }
    private var lastReport: WorkerReport?
    /// The supervisor wants the relayed sessions (someone follows the instance).
    private var following = false
    private var exitCode: Int32 = 0

    /// Runs the worker started on the socketpair `controlFD`: waits for its spec, then
    /// works until the supervisor stops it. The process exit code: 0 after a stop, 1 on
    /// a runtime failure, 2 when the configuration is at fault.
    public static func run(controlFD: Int32, environment: [String: String], logger: Logger) -> Int32 {
        let control = WorkerChannel(fd: controlFD, name: "supervisor channel")
        guard diesWithTheSupervisor(control) else {
            logger.critical("the supervisor that started this worker is gone: exiting")
            return 1
        }
        guard case let .message(.configure(spec)) = control.receive(wait: 10_000) else {
            logger.critical("no configuration from the supervisor")
            return 2
        }
        let loop: EventLoop
        do {
            loop = try EventLoop(logger: logger)
        } catch {
            return fail("cannot set up the worker: \(error)", configuration: false, control: control, logger: logger)
        }
        return SupervisedWorker(control: control, spec: spec, loop: loop, environment: environment, logger: logger).run()
    }

    private init(control: WorkerChannel, spec: WorkerSpec, loop: EventLoop, environment: [String: String], logger: Logger) {
        self.control = control
        self.spec = spec
        self.loop = loop
        self.environment = environment
        self.logger = logger
    }

    private func run() -> Int32 {
        do {
            try loop.handleSignals(EventLoop.controlSignals) { [unowned self] signal in
                if signal != SIGHUP { loop.stop() }
            }
            try loop.register(fd: control.fd, name: "supervisor") { [unowned self] in controlReadable() }
        } catch {
            return fail("cannot set up the worker: \(error)", configuration: false)
        }
        switch enterNamespace() {
        case let .failure(obstacle):
            report(WorkerReport(state: .waiting, waitingFor: obstacle.reason))
            // setns must come before any socket; nothing opened yet, so retrying is safe.
            let retry = try? loop.scheduleTimer(name: "namespace", after: Self.retryInterval, repeating: Self.retryInterval) {
                [unowned self] in
                switch enterNamespace() {
                case let .failure(obstacle): report(WorkerReport(state: .waiting, waitingFor: obstacle.reason))
                case let .success(namespace): namespaceEntered(namespace)
                }
            }
            phase = .enteringNamespace(retry: retry)
        case let .success(namespace):
            namespaceEntered(namespace)
        }
        do { try loop.run() } catch { return fail("event loop failed: \(error)", configuration: false) }
        guard let running else { return exitCode }
        if let failure = running.worker.failure { exitCode = fail("lost the kernel link: \(failure)", configuration: false) }
        running.advertiser.cancel(.stopped)
        running.statsServer?.close()
        running.worker.close()
        return exitCode
    }

    // MARK: - Start-up

    /// Asks the kernel to kill this worker when the supervisor dies (SIGKILL: the worker
    /// holds nothing that needs tidying, and SIGTERM waits while the event loop blocks
    /// it). If the supervisor died before that, the worker has a new parent already:
    /// the supervisor is the peer of the control socketpair, which it created.
    private static func diesWithTheSupervisor(_ control: WorkerChannel) -> Bool {
        guard cshim_set_parent_death_signal(SIGKILL) == 0 else { return false }
        var supervisor: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
        guard cshim_peer_credentials(control.fd, &supervisor, &uid, &gid) == 0 else { return false }
        return getppid() == supervisor
    }

    /// What keeps the worker out of its namespace, for the waiting report.
    private struct Obstacle: Error {
        let reason: String
    }

    /// Enters the worker's namespace: its file, held open, once in it (nil when the
    /// worker stays in the supervisor's), else what keeps it out.
    private func enterNamespace() -> Result<NetworkNamespaceFile?, Obstacle> {
        guard !spec.netnsPath.isEmpty else { return .success(nil) }
        guard let file = try? NetworkNamespaceFile(path: spec.netnsPath) else {
            // The same words whatever is there instead (see NetworkNamespaceFile).
            return .failure(Obstacle(reason: "network namespace \(spec.netnsPath) does not exist"))
        }
        do {
            try file.enter()
        } catch {
            let hint = error.errno == EPERM ? " (setns needs CAP_SYS_ADMIN)" : ""
            return .failure(Obstacle(reason: "cannot enter network namespace \(spec.netnsPath): \(error.reason)\(hint)"))
        }
        return .success(file)
    }

    /// `namespace`: the one entered (nil: the supervisor's own), compared periodically
    /// with what its path stands for (held open by the check, its inode number cannot go
    /// to a new namespace meanwhile).
    private func namespaceEntered(_ namespace: NetworkNamespaceFile?) {
        cancelRetry()
        if let namespace {
            _ = try? loop.scheduleTimer(name: "namespace check", after: Self.namespaceCheckInterval,
                                        repeating: Self.namespaceCheckInterval) { [unowned self] in checkNamespace(namespace) }
        }
        let configuration: WorkerConfiguration
        do {
            configuration = try resolveConfiguration()
        } catch {
            exitCode = fail("invalid configuration for instance '\(instance.name)': \(error.message)", configuration: true)
            loop.stop()
            return
        }
        phase = .waitingForKernel(configuration, retry: nil)
        attemptStart()
        if case .waitingForKernel = phase {
            let retry = try? loop.scheduleTimer(name: "prerequisites", after: Self.retryInterval,
                                                repeating: Self.retryInterval) { [unowned self] in attemptStart() }
            phase = .waitingForKernel(configuration, retry: retry)
        }
    }

    /// Interface names and services resolve here, inside the namespace; a problem is
    /// named as a field of the instance (`field 'net', key "in interface": ...`).
    private func resolveConfiguration() throws(ControlError) -> WorkerConfiguration {
        let name: InstanceName
        let network: NetSocketSettings?
        var stats: WorkerConfiguration.StatsEndpoint?
        do {
            name = try InstanceName(instance.name)
        } catch {
            throw ControlError(.invalidName, error.description)
        }
        do {
            network = try instance.net.resolve()
        } catch {
            throw ControlError(.invalidConfig, InstanceSpec.describe(error, in: InstanceSpec.Key.net))
        }
        if let config = instance.stats {
            do {
                stats = WorkerConfiguration.StatsEndpoint(address: config.resolvedAddress, port: String(try config.resolvedPort()))
            } catch {
                throw ControlError(.invalidConfig, InstanceSpec.describe(error, in: InstanceSpec.Key.stats))
            }
        }
        return WorkerConfiguration(instance: name, network: network, stats: stats,
                                   enableSessionSync: instance.enableSessionSync)
    }

    private func attemptStart() {
        guard case let .waitingForKernel(configuration, _) = phase else { return }
        do {
            let (started, monitor) = try WorkerProcess.start(configuration, environment: environment, logger: logger)
            var statsServer: StatsServer?
            if let stats = configuration.stats {
                statsServer = try StatsServer(address: stats.address, port: stats.port, loop: loop, logger: logger) {
                    Array(started.counters.statsReply().utf8)
                }
            }
            try started.attach(to: loop)
            try monitor.attach(to: loop)
            monitor.onChange = { [unowned self] health in report(health: health) }
            let pace = Advertiser.Settings(sessionsPerSecond: instance.advertiseRate ?? AdvertiseRate.defaultValue)
            let running = Running(worker: started, monitor: monitor,
                                  advertiser: Advertiser(worker: started, loop: loop, settings: pace, logger: logger),
                                  statsServer: statsServer,
                                  feed: SessionFeed(channel: control, format: started.version.sessionFormat))
            cancelRetry()
            phase = .running(running)
            applyFollowing()
            report(health: monitor.health)
        } catch let error as KernelLinkError {
            switch error {
            case .moduleNotLoaded, .unknownVersion:
                report(WorkerReport(state: .waiting, waitingFor: "the jool kernel module is not loaded"))
            default:
                exitCode = fail("cannot start: \(error)", configuration: false)
                loop.stop()
            }
        } catch let problem as InstanceProblem {
            report(WorkerReport(state: .waiting, waitingFor: problem.description))
        } catch {
            exitCode = fail("cannot start: \(error)", configuration: false)
            loop.stop()
        }
    }

    /// Stops the current phase's retries.
    private func cancelRetry() {
        switch phase {
        case let .enteringNamespace(retry?):
            loop.cancelTimer(retry)
            phase = .enteringNamespace(retry: nil)
        case let .waitingForKernel(configuration, retry?):
            loop.cancelTimer(retry)
            phase = .waitingForKernel(configuration, retry: nil)
        case .enteringNamespace(retry: nil), .waitingForKernel(_, retry: nil), .running:
            break
        }
    }

    /// `ip netns del NAME` (and perhaps `ip netns add NAME` again) leaves this worker in
    /// a namespace nobody names any more: it leaves, and its successor enters what the
    /// name stands for now, or waits for it.
    private func checkNamespace(_ namespace: NetworkNamespaceFile) {
        let now = NetworkNamespaceFile.identity(of: spec.netnsPath)
        guard now != namespace.identity else { return }
        let what = now == nil ? "was deleted" : "was replaced by another namespace"
        exitCode = fail("network namespace \(spec.netnsPath) \(what): leaving it", configuration: false)
        loop.stop()
    }

    // MARK: - Reports

    private func report(health: InstanceMonitor.Health) {
        guard let running else { return }
        let worker = running.worker
        var report = WorkerReport(state: .running, ssEnabled: true, kernelVersion: worker.version.description,
                                  multicast: worker.multicastGroup.map { "\($0)" }, statsPort: running.statsServer?.port)
        switch health {
        case .running:
            break
        case .sessionSyncDisabled:
            report.state = .waiting
            report.ssEnabled = false
            report.waitingFor = "ss-enabled is false in instance '\(instance.name)' (add with enable_ss to turn it on)"
        case .instanceProblem, .kernelUnreachable:
            report.state = .waiting
            report.waitingFor = health.description
        }
        self.report(report)
    }

    private func report(_ report: WorkerReport) {
        guard report != lastReport else { return }
        lastReport = report
        if report.state == .waiting, let reason = report.waitingFor {
            logger.warning("instance '\(instance.name)': waiting: \(reason)")
        }
        send(.status(report))
    }

    private func fail(_ message: String, configuration: Bool) -> Int32 {
        Self.fail(message, configuration: configuration, control: control, logger: logger)
    }

    private static func fail(_ message: String, configuration: Bool, control: WorkerChannel, logger: Logger) -> Int32 {
        logger.critical("\(message)")
        send(.fatal(error: message, configuration: configuration), on: control, logger: logger)
        return configuration ? 2 : 1
    }

    private func send(_ message: WorkerMessage) {
        Self.send(message, on: control, logger: logger)
    }

    /// A message the supervisor cannot be sent is logged: the supervisor is gone (EPIPE,
    /// ECONNRESET; the channel then reads `closed` and the worker stops) or this end failed.
    private static func send(_ message: WorkerMessage, on control: WorkerChannel, logger: Logger) {
        do {
            try control.send(message)
        } catch {
            logger.error("cannot tell the supervisor: \(error)")
        }
    }

    // MARK: - Requests from the supervisor

    private func controlReadable() {
        while true {
            switch control.receive() {
            case .nothing:
                return
            case .closed:
                logger.notice("the supervisor went away: stopping")
                loop.stop()
                return
            case .unreadable:
                logger.error("unreadable message from the supervisor")
            case let .message(message):
                handle(message)
            }
        }
    }

    private func handle(_ message: WorkerMessage) {
        switch message {
        case .stop:
            loop.stop()
        case let .statsRequest(id):
            // A worker still waiting has relayed nothing: zeros.
            let counters = (running?.worker.counters ?? JooldCounters()).namedValues.map { ($0.name, $0.value) }
            let extra = ((running?.worker.extra ?? ExtraCounters()).namedValues
                         + (running?.advertiser.counters ?? AdvertiseCounters()).namedValues
                         + (running?.feed.namedValues ?? [])).map { ($0.name, $0.value) }
            send(.stats(id: id, counters: counters, extra: extra))
        case let .advertiseRequest(id, rate):
            advertise(id: id, rate: rate)
        case let .follow(on):
            following = on
            applyFollowing()
        default:
            logger.error("unexpected message from the supervisor: \(message.json.serialized())")
        }
    }

    /// Taps the relay while someone follows, and only then (the tap is the hot path's
    /// one extra check).
    private func applyFollowing() {
        guard let running else { return }
        let feed = running.feed
        running.worker.sessionTap = following ? { [unowned feed] point, payload in feed.publish(point, payload) } : nil
        if following, running.feedTimer == nil {
            running.feedTimer = try? loop.scheduleTimer(name: "feed losses", after: .milliseconds(200), repeating: .milliseconds(200)) {
                [unowned feed] in feed.reportLost()
            }
        } else if !following, let timer = running.feedTimer {
            loop.cancelTimer(timer)
            running.feedTimer = nil
        }
    }

    /// Advertises the instance's session table to the peers and answers request `id`
    /// when that has ended: with the kernel's JNLOP_JOOLD_ADVERTISE where it works
    /// (4.1.11 and later), else with the worker's own advertisement (4.1.9, 4.1.10: the
    /// kernel replies success and sends nothing), which runs on the event loop for as
    /// long as the rate needs while the relay goes on, and is answered at its end.
    private func advertise(id: Int64, rate: Int?) {
        guard let running else {
            send(.advertised(id: id, .failure(ControlError(.notRunning, "the worker of '\(instance.name)' is not relaying yet"))))
            return
        }
        let worker = running.worker, advertiser = running.advertiser
        // The supervisor refuses a second request while one is pending; this keeps the
        // worker safe from a supervisor that would not.
        guard !advertiser.isRunning else {
            send(.advertised(id: id, .failure(ControlError(.busy, "an advertisement of '\(instance.name)' is already in progress"))))
            return
        }
        guard !Advertiser.kernelAdvertiseWorks(worker.version) else {
            let outcome = kernelAdvertise(worker)
            advertiser.countKernelAdvertisement(succeeded: (try? outcome.get()) != nil)
            send(.advertised(id: id, outcome))
            return
        }
        do {
            try advertiser.start(rate: rate) { [unowned self] result in
                send(.advertised(id: id, result
                    .map { AdvertiseOutcome(method: "worker", sessions: $0.sessions, seconds: $0.seconds, rate: $0.rate) }
                    .mapError(Self.controlError)))
            }
        } catch {
            send(.advertised(id: id, .failure(Self.controlError(error))))
        }
    }

    /// The kernel's own advertisement (JNLOP_JOOLD_ADVERTISE), its reply read.
    private func kernelAdvertise(_ worker: SyncWorker) -> Result<AdvertiseOutcome, ControlError> {
        let start = MonotonicClock.nanoseconds()
        do {
            _ = try worker.link.request("advertise") { worker.requests.advertise(sequence: $0) }
        } catch let .kernel(_, error) {
            return .failure(ControlError(.kernelError, error.description))
        } catch {
            return .failure(ControlError(.internal, error.description))
        }
        let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        return .success(AdvertiseOutcome(method: "kernel", sessions: nil, seconds: seconds))
    }

    private static func controlError(_ error: AdvertiseError) -> ControlError {
        switch error {
        case .busy:
            return ControlError(.busy, error.description)
        case .kernel(.kernel):
            return ControlError(.kernelError, error.description)
        default:
            return ControlError(.internal, error.description)
        }
    }
}

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
public final class SupervisedWorker {
    public static let retryInterval: Duration = .seconds(2)

    private let control: WorkerChannel
    private let logger: Logger
    private let environment: [String: String]
    private var spec: WorkerSpec!
    private var instance: InstanceSpec { spec.instance }
    private var configuration: WorkerConfiguration!
    private var loop: EventLoop!
    private var retryTimer: EventLoop.TimerID?
    private var worker: SyncWorker?
    /// The worker's own advertisement, for kernels whose JNLOP_JOOLD_ADVERTISE does nothing.
    private var advertiser: Advertiser?
    private var monitor: InstanceMonitor?
    private var statsServer: StatsServer?
    private var lastReport: WorkerReport?
    /// The supervisor wants the relayed sessions (someone follows the instance).
    private var following = false
    private var feed: SessionFeed?
    private var feedTimer: EventLoop.TimerID?
    /// The namespace entered (nil: the supervisor's own), kept open to compare with
    /// what its path stands for later (held open, its inode number cannot go to a new
    /// namespace meanwhile).
    private var namespace: NetworkNamespaceFile?
    public static let namespaceCheckInterval: Duration = .seconds(2)

    public init(controlFD: Int32, environment: [String: String], logger: Logger) {
        control = WorkerChannel(fd: controlFD, name: "supervisor channel")
        _ = fcntl(controlFD, F_SETFD, FD_CLOEXEC)
        self.environment = environment
        self.logger = logger
    }

    /// The process exit code: 0 after a stop, 1 on a runtime failure, 2 when the
    /// configuration is at fault.
    public func run() -> Int32 {
        guard diesWithTheSupervisor() else {
            logger.critical("the supervisor that started this worker is gone: exiting")
            return 1
        }
        guard case let .message(.configure(spec)) = control.receive(wait: 10_000) else {
            logger.critical("no configuration from the supervisor")
            return 2
        }
        self.spec = spec
        do {
            loop = try EventLoop(logger: logger)
            try loop.handleSignals(EventLoop.controlSignals) { [unowned self] signal in
                if signal != SIGHUP { loop.stop() }
            }
            try loop.register(fd: control.fd, name: "supervisor") { [unowned self] in controlReadable() }
        } catch {
            return fail("cannot set up the worker: \(error)", configuration: false)
        }
        if let obstacle = enterNamespace() {
            report(WorkerReport(state: .waiting, waitingFor: obstacle))
            // setns must come before any socket; nothing opened yet, so retrying is safe.
            retryTimer = try? loop.scheduleTimer(name: "namespace", after: Self.retryInterval, repeating: Self.retryInterval) {
                [unowned self] in
                if let obstacle = enterNamespace() {
                    report(WorkerReport(state: .waiting, waitingFor: obstacle))
                } else {
                    namespaceEntered()
                }
            }
        } else {
            namespaceEntered()
        }
        do { try loop.run() } catch { return fail("event loop failed: \(error)", configuration: false) }
        if let failure = worker?.failure { exitCode = fail("lost the kernel link: \(failure)", configuration: false) }
        advertiser?.cancel(.stopped)
        statsServer?.close()
        worker?.close()
        return exitCode
    }

    private var exitCode: Int32 = 0

    // MARK: - Start-up

    /// Asks the kernel to kill this worker when the supervisor dies (SIGKILL: the worker
    /// holds nothing that needs tidying, and SIGTERM waits while the event loop blocks
    /// it). If the supervisor died before that, the worker has a new parent already:
    /// the supervisor is the peer of the control socketpair, which it created.
    private func diesWithTheSupervisor() -> Bool {
        guard cshim_set_parent_death_signal(SIGKILL) == 0 else { return false }
        var supervisor: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
        guard cshim_peer_credentials(control.fd, &supervisor, &uid, &gid) == 0 else { return false }
        return getppid() == supervisor
    }

    /// Enters the worker's namespace; nil once in it (or when it stays in the
    /// supervisor's), else what keeps it out, for the waiting report.
    private func enterNamespace() -> String? {
        guard !spec.netnsPath.isEmpty else { return nil }
        guard let file = try? NetworkNamespaceFile(path: spec.netnsPath) else {
            // The same words whatever is there instead (see NetworkNamespaceFile).
            return "network namespace \(spec.netnsPath) does not exist"
        }
        do {
            try file.enter()
        } catch {
            let hint = error.errno == EPERM ? " (setns needs CAP_SYS_ADMIN)" : ""
            return "cannot enter network namespace \(spec.netnsPath): \(error.reason)\(hint)"
        }
        namespace = file
        return nil
    }

    private func namespaceEntered() {
        cancelRetry()
        if namespace != nil {
            _ = try? loop.scheduleTimer(name: "namespace check", after: Self.namespaceCheckInterval,
                                        repeating: Self.namespaceCheckInterval) { [unowned self] in checkNamespace() }
        }
        do {
            configuration = try resolveConfiguration()
        } catch {
            exitCode = fail("invalid configuration for instance '\(instance.name)': \(error.message)", configuration: true)
            loop.stop()
            return
        }
        attemptStart()
        if worker == nil {
            retryTimer = try? loop.scheduleTimer(name: "prerequisites", after: Self.retryInterval,
                                                 repeating: Self.retryInterval) { [unowned self] in attemptStart() }
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
        guard worker == nil else { return }
        do {
            let (started, monitor) = try WorkerProcess.start(configuration, environment: environment, logger: logger)
            if let stats = configuration.stats {
                statsServer = try StatsServer(address: stats.address, port: stats.port, loop: loop, logger: logger) {
                    Array(started.counters.statsReply().utf8)
                }
            }
            try started.attach(to: loop)
            try monitor.attach(to: loop)
            monitor.onChange = { [unowned self] health in report(health: health) }
            worker = started
            feed = SessionFeed(channel: control, format: started.version.sessionFormat)
            applyFollowing()
            let pace = Advertiser.Settings(sessionsPerSecond: instance.advertiseRate ?? AdvertiseRate.defaultValue)
            advertiser = Advertiser(worker: started, loop: loop, settings: pace, logger: logger)
            self.monitor = monitor
            cancelRetry()
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

    private func cancelRetry() {
        if let retryTimer { loop.cancelTimer(retryTimer) }
        retryTimer = nil
    }

    /// `ip netns del NAME` (and perhaps `ip netns add NAME` again) leaves this worker in
    /// a namespace nobody names any more: it leaves, and its successor enters what the
    /// name stands for now, or waits for it.
    private func checkNamespace() {
        guard let namespace else { return }
        let now = NetworkNamespaceFile.identity(of: spec.netnsPath)
        guard now != namespace.identity else { return }
        let what = now == nil ? "was deleted" : "was replaced by another namespace"
        exitCode = fail("network namespace \(spec.netnsPath) \(what): leaving it", configuration: false)
        loop.stop()
    }

    // MARK: - Reports

    private func report(health: InstanceMonitor.Health) {
        guard let worker else { return }
        var report = WorkerReport(state: .running, ssEnabled: true, kernelVersion: worker.version.description,
                                  multicast: worker.multicastGroup.map { "\($0)" }, statsPort: statsServer?.port)
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

    /// A message the supervisor cannot be sent is logged: the supervisor is gone (EPIPE,
    /// ECONNRESET; the channel then reads `closed` and the worker stops) or this end failed.
    private func send(_ message: WorkerMessage) {
        do {
            try control.send(message)
        } catch {
            logger.error("cannot tell the supervisor: \(error)")
        }
    }

    private func fail(_ message: String, configuration: Bool) -> Int32 {
        logger.critical("\(message)")
        send(.fatal(error: message, configuration: configuration))
        return configuration ? 2 : 1
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
            let counters = (worker?.counters ?? JooldCounters()).namedValues.map { ($0.name, $0.value) }
            let extra = ((worker?.extra ?? ExtraCounters()).namedValues
                         + (advertiser?.counters ?? AdvertiseCounters()).namedValues
                         + (feed?.namedValues ?? [])).map { ($0.name, $0.value) }
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
        guard let worker, let feed else { return }
        worker.sessionTap = following ? { [unowned feed] point, payload in feed.publish(point, payload) } : nil
        if following, feedTimer == nil {
            feedTimer = try? loop.scheduleTimer(name: "feed losses", after: .milliseconds(200), repeating: .milliseconds(200)) {
                [unowned feed] in feed.reportLost()
            }
        } else if !following, let timer = feedTimer {
            loop.cancelTimer(timer)
            feedTimer = nil
        }
    }

    /// Advertises the instance's session table to the peers and answers request `id`
    /// when that has ended: with the kernel's JNLOP_JOOLD_ADVERTISE where it works
    /// (4.1.11 and later), else with the worker's own advertisement (4.1.9, 4.1.10: the
    /// kernel replies success and sends nothing), which runs on the event loop for as
    /// long as the rate needs while the relay goes on, and is answered at its end.
    private func advertise(id: Int64, rate: Int?) {
        guard let worker, let advertiser else {
            send(.advertised(id: id, .failure(ControlError(.notRunning, "the worker of '\(instance.name)' is not relaying yet"))))
            return
        }
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

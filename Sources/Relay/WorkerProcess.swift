import Configuration
import Glibc
import JoolWire
import LinuxRuntime
import Logging

/// One sync worker as a whole process: checks its prerequisites, opens its sockets and
/// runs its single-threaded event loop until SIGTERM or SIGINT. `run` is the `joold`
/// executable; the supervisor's workers (`SupervisedWorker`) use `start` and run their
/// own loop.
public enum WorkerProcess {
    /// Runs the worker; returns the process exit code (0 after a clean stop).
    public static func run(_ configuration: WorkerConfiguration, environment: [String: String],
                           logger: Logger) -> Int32 {
        let loop: EventLoop
        let worker: SyncWorker
        let monitor: InstanceMonitor
        var statsServer: StatsServer?
        do {
            // Signals first: they must be blocked before anything else can start.
            loop = try EventLoop(logger: logger)
            try loop.handleSignals(EventLoop.controlSignals) { signal in
                if signal == SIGHUP {
                    logger.notice("SIGHUP ignored: joold has no configuration to reload")
                } else {
                    logger.notice("\(signalName(signal)) received: stopping")
                    loop.stop()
                }
            }
            (worker, monitor) = try start(configuration, environment: environment, logger: logger)
            if let stats = configuration.stats {
                statsServer = try StatsServer(address: stats.address, port: stats.port, loop: loop, logger: logger) {
                    Array(worker.counters.statsReply().utf8)
                }
            }
            try worker.attach(to: loop)
            try monitor.attach(to: loop)
        } catch {
            logger.critical("cannot start: \(error)")
            return 1
        }
        announce(worker, monitor: monitor, stats: statsServer, logger: logger)
        do {
            try loop.run()
        } catch {
            logger.critical("event loop failed: \(error)")
            return 1
        }
        statsServer?.close()
        worker.close()
        let counters = (worker.counters.namedValues + worker.extra.namedValues).map { "\($0.name)=\($0.value)" }
        if let failure = worker.failure {
            logger.critical("lost the kernel link: \(failure); stopped; counters: \(counters.joined(separator: " "))")
            return 1
        }
        logger.notice("stopped; counters: \(counters.joined(separator: " "))")
        return 0
    }

    /// Kernel checks in the order that gives the clearest error: module, version,
    /// instance, ss-enabled.
    public static func start(_ configuration: WorkerConfiguration, environment: [String: String],
                             logger: Logger) throws -> (SyncWorker, InstanceMonitor) {
        let endpoint = try KernelEndpoint.fromEnvironment(environment)
        let link = KernelLink(channel: try endpoint.openChannel())
        try link.resolveFamily()
        let version = try endpoint.moduleVersion()
        guard JoolVersion.supported.contains(version) else { throw KernelLinkError.unsupportedVersion(version) }

        let worker = try SyncWorker(configuration: configuration, link: link, version: version, logger: logger)
        let report = try InstanceProbe(link: link, requests: worker.requests)
            .probe(enableSessionSync: configuration.enableSessionSync)
        if report.enabledByUs {
            logger.notice("ss-enabled was false in instance '\(configuration.instance)'; turned it on (--enable-ss)")
        }
        let health: InstanceMonitor.Health = report.ssEnabled ? .running : .sessionSyncDisabled
        if !report.ssEnabled {
            logger.error("""
                instance '\(configuration.instance)' has ss-enabled false: the kernel will neither send nor accept \
                sessions until 'jool -i \(configuration.instance) global update ss-enabled true' (or start with --enable-ss)
                """)
        }
        return (worker, InstanceMonitor(worker: worker, initial: health, logger: logger))
    }

    private static func announce(_ worker: SyncWorker, monitor: InstanceMonitor, stats: StatsServer?, logger: Logger) {
        let network = worker.multicastGroup.map { "multicast group \($0)" } ?? "no network socket (sessions printed on stdout)"
        let statsText = stats.map { " stats on UDP port \($0.port)" } ?? ""
        logger.notice("""
            started: instance '\(worker.configuration.instance)', Jool \(worker.version) (session format \
            \(worker.version.sessionFormat)), \(network);\(statsText) state: \(monitor.health)
            """)
    }
}

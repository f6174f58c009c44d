import ArgumentParser
import ControlProtocol
import Glibc
import LinuxRuntime
import Logging
import SupervisorCore

/// joold-supervisor: one sync worker per Jool instance and network namespace,
/// controlled with jooldctl over a Unix socket.
struct SupervisorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "joold-supervisor",
        abstract: "Session synchronization for NAT64 Jool: one sync worker per instance and network namespace.",
        discussion: """
            Instances are added and removed with jooldctl and kept in the state file across \
            restarts. SIGTERM stops every worker and exits; SIGHUP re-reads the state file and \
            converges. With systemd, run it as Type=notify (see contrib/joold-supervisor.service).
            """,
        version: Supervisor.version)

    @Option(help: ArgumentHelp("The control socket.", valueName: "path"))
    var socket = ControlServerConfiguration.defaultSocketPath

    @Option(help: ArgumentHelp("The state file (the instances to synchronize).", valueName: "file"))
    var state = StateFile.defaultPath

    @Option(help: ArgumentHelp("The group whose members may use the control socket (besides root).", valueName: "name"))
    var group = "root"

    @Option(help: ArgumentHelp("The worker executable (default: joold-worker beside this program).", valueName: "file"))
    var worker: String?

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        SyslogLogHandler.bootstrap(ident: "joold-supervisor", foreground: true, logLevel: level)
        let logger = Logger(label: "joold-supervisor")
        let launcher = worker.map(WorkerLauncher.init(executable:)) ?? .besideSelf()
        guard access(launcher.executable, X_OK) == 0 else {
            throw startFailure("the worker executable \(launcher.executable) is missing or not executable (--worker)")
        }
        let stateFile = StateFile(path: state)
        let lock: StateFileLock
        let loop: EventLoop
        let supervisor: Supervisor
        let server: ControlServer
        do {
            lock = try StateFileLock(for: stateFile)
            loop = try EventLoop(logger: logger)
            supervisor = Supervisor(loop: loop, stateFile: stateFile, launcher: launcher, logger: logger)
            server = try ControlServer(configuration: ControlServerConfiguration(socketPath: socket, groupName: group),
                                       loop: loop, handler: supervisor, logger: logger)
        } catch {
            throw startFailure("\(error)")
        }
        let notifier = SystemdNotifier(environment: processEnvironment())
        var stopping = false
        do {
            try loop.handleSignals(EventLoop.controlSignals + [SIGCHLD]) { signal in
                switch signal {
                case SIGCHLD:
                    supervisor.reapChildren()
                case SIGHUP:
                    notifier.notify("RELOADING=1")
                    supervisor.reload()
                    notifier.notify("READY=1")
                default:
                    guard !stopping else { return }
                    stopping = true
                    logger.notice("\(signalName(signal)) received: stopping the workers")
                    notifier.notify("STOPPING=1")
                    supervisor.endAllFollowers()
                    server.close()
                    supervisor.shutdown { loop.stop() }
                }
            }
            try supervisor.start()
        } catch {
            server.close()
            throw startFailure("\(error)")
        }
        notifier.notify("READY=1")
        logger.notice("joold-supervisor \(Supervisor.version) ready on \(socket)")
        try withExtendedLifetime(lock) { try loop.run() }
        server.close()
        logger.notice("stopped")
    }

    private func startFailure(_ message: String) -> ExitCode {
        writeAll(STDERR_FILENO, "joold-supervisor: cannot start: \(TerminalText.escaped(message))\n")
        return ExitCode(1)
    }
}

SupervisorCommand.main()

import Glibc
import JooldCommandLine
import LinuxRuntime
import Logging
import Relay

/// The drop-in joold: the stock command line (both forms) in front of one sync worker.
let outcome = JooldCommandLine.evaluate(arguments: Array(CommandLine.arguments.dropFirst()),
                                        currentDirectory: JooldCommandLine.processCurrentDirectory())
switch outcome {
case let .exit(status, standardOutput, standardError):
    writeAll(STDOUT_FILENO, standardOutput)
    writeAll(STDERR_FILENO, standardError)
    exit(status)
case let .run(launch):
    // joold does not daemonize: it always runs in the foreground, so it logs to syslog
    // and to stderr (users of the stock daemon were lost when errors went only to syslog).
    SyslogLogHandler.bootstrap(ident: "joold", foreground: true,
                               logLevel: Logger.Level(rawValue: launch.options.logLevel.rawValue) ?? .info)
    let logger = Logger(label: "joold")
    for warning in launch.warnings { logger.warning("\(warning)") }
    exit(WorkerProcess.run(launch.configuration, environment: processEnvironment(), logger: logger))
}

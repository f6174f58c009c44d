import Glibc
import LinuxRuntime
import Logging
import WorkerMode

/// A sync worker as joold-supervisor starts it: `joold-worker --control-fd FD`.
/// Not meant to be run by hand; `joold` is the stand-alone daemon.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2, arguments[0] == "--control-fd", let fd = Int32(arguments[1]), fd >= 0 else {
    writeAll(STDERR_FILENO, "usage: joold-worker --control-fd FD (started by joold-supervisor; run joold for a stand-alone daemon)\n")
    exit(2)
}
let ident = "joold-worker"
SyslogLogHandler.bootstrap(ident: ident, foreground: true)
let logger = Logger(label: ident)
exit(SupervisedWorker.run(controlFD: fd, environment: processEnvironment(), logger: logger))

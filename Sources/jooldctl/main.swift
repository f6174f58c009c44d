import Glibc
import JooldctlCommands
import LinuxRuntime

// The whole command line lives in JooldctlCommands (tested in-process); this only
// gathers the environment and the current directory and writes the outputs.
let currentDirectory = getcwd(nil, 0).map { pointer in
    defer { free(pointer) }
    return String(cString: pointer)
} ?? "."

let live = LiveOutput(standardOutput: { writeAll(STDOUT_FILENO, $0) }, standardError: { writeAll(STDERR_FILENO, $0) })
let result = Jooldctl.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: processEnvironment(),
                          currentDirectory: currentDirectory, helpColumns: nil, live: live)

writeAll(STDOUT_FILENO, result.standardOutput)
writeAll(STDERR_FILENO, result.standardError)
exit(result.exitCode)

import Glibc
import JooldctlCommands

// The whole command line lives in JooldctlCommands (tested in-process); this only
// gathers the environment and the current directory and writes the outputs.
var environment: [String: String] = [:]
var entry = environ
while let pointer = entry.pointee {
    let text = String(cString: pointer)
    if let equals = text.firstIndex(of: "=") {
        environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    entry += 1
}
let currentDirectory = getcwd(nil, 0).map { pointer in
    defer { free(pointer) }
    return String(cString: pointer)
} ?? "."

/// False when the write failed (EPIPE: nobody reads any more).
@discardableResult
func write(_ text: String, to fd: Int32) -> Bool {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        bytes = bytes.dropFirst(written)
    }
    return true
}

let live = LiveOutput(standardOutput: { write($0, to: STDOUT_FILENO) }, standardError: { write($0, to: STDERR_FILENO) })
let result = Jooldctl.run(arguments: Array(CommandLine.arguments.dropFirst()), environment: environment,
                          currentDirectory: currentDirectory, helpColumns: nil, live: live)

write(result.standardOutput, to: STDOUT_FILENO)
write(result.standardError, to: STDERR_FILENO)
exit(result.exitCode)

import Foundation

/// Runs iproute2 and friends for the namespace tests. These tests need root,
/// iproute2 and network-namespace support; without them they fail, loudly.
public enum Shell {
    public struct CommandFailed: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String {
            "`\(command.joined(separator: " "))` exited with \(status): \(output)"
            + " (the namespace tests need root, iproute2 and network namespaces)"
        }
    }

    static let ipTool: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @discardableResult
    public static func ip(_ arguments: String...) throws -> String {
        guard let ipTool else {
            throw CommandFailed(command: ["ip"] + arguments, status: 127, output: "iproute2 `ip` not found")
        }
        return try run([ipTool] + arguments)
    }

    /// Runs `command` (an absolute path and its arguments) and returns its output
    /// (stdout and stderr together); a non-zero exit throws.
    @discardableResult
    public static func run(_ command: [String]) throws -> String {
        let (status, output) = try execute(command)
        guard status == 0 else { throw CommandFailed(command: command, status: status, output: output) }
        return output
    }

    /// Like `run`, but returns the exit status (128 + N for signal N) instead of throwing
    /// for a non-zero one.
    public static func execute(_ command: [String]) throws -> (status: Int32, output: String) {
        do {
            let result = try ChildProcess.run(command, mergeErrors: true)
            return (result.shellStatus, result.stdout)
        } catch let error as ChildProcess.SpawnFailed {
            throw CommandFailed(command: command, status: 127, output: error.reason)
        }
    }
}

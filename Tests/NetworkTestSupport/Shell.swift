import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs iproute2 and friends for the namespace tests. These tests need root,
/// iproute2 and network-namespace support; without them they fail, loudly.
public enum Shell {
    public struct CommandFailed: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String {
            "`\(command.joined(separator: " "))` exited with \(status): \(output)"
            + " (the SyncEngine namespace tests need root, iproute2 and network namespaces)"
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
    /// (stdout and stderr together). posix_spawn and waitpid on that pid, not Foundation's
    /// Process: its waitUntilExit hung now and then in CI after `ip` had exited, with many
    /// tests spawning at once.
    @discardableResult
    public static func run(_ command: [String]) throws -> String {
        let (status, output) = try execute(command)
        guard status == 0 else { throw CommandFailed(command: command, status: status, output: output) }
        return output
    }

    /// Like `run`, but returns the exit status (128 + N for signal N) instead of throwing
    /// for a non-zero one.
    public static func execute(_ command: [String]) throws -> (status: Int32, output: String) {
        func failure(_ what: String, _ code: Int32) -> CommandFailed {
            CommandFailed(command: command, status: 127, output: "\(what): \(String(cString: strerror(code)))")
        }
        var ends: [Int32] = [-1, -1]
        // Close-on-exec from the start, so that children spawned meanwhile by other tests
        // do not keep the write end open (the read below would wait for them).
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else { throw failure("socketpair", errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 2)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        close(ends[1])
        guard spawned == 0 else {
            close(ends[0])
            throw failure("posix_spawn \(command[0])", spawned)
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(ends[0], &buffer, buffer.count)
            if count > 0 {
                output.append(contentsOf: buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(ends[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw failure("waitpid", errno) }
        }
        // WIFEXITED / WEXITSTATUS, else 128 + the signal, as shells report it.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end and collects its output, with posix_spawn, poll and
/// waitpid on its own pid. Not Foundation's Process: its waitUntilExit hung a CI run now
/// and then after the child had exited, with many tests spawning at once.
public enum ChildProcess {
    public struct Result: Sendable, CustomStringConvertible {
        /// The exit status, or the signal number when `signalled`.
        public let status: Int32
        public let signalled: Bool
        public let stdout: String
        /// Empty when stderr was merged into stdout.
        public let stderr: String

        /// As shells report it: 128 + N for signal N.
        public var shellStatus: Int32 { signalled ? 128 + status : status }

        public var description: String {
            "exit \(signalled ? "signal " : "")\(status), stdout: \(stdout.debugDescription), stderr: \(stderr.debugDescription)"
        }
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let command: [String]
        public let reason: String
        public var description: String { "cannot run `\(command.joined(separator: " "))`: \(reason)" }
    }

    /// Runs `command` (an absolute path and its arguments) with stdin from /dev/null.
    /// - environment: the whole environment of the child; nil: this process's.
    /// - directory: the child's working directory (through `env -C`); nil: this process's.
    /// - mergeErrors: stderr goes to stdout, as `2>&1` does.
    /// - timeout: then SIGKILL; nil: none.
    public static func run(_ command: [String], environment: [String: String]? = nil, directory: String? = nil,
                           mergeErrors: Bool = false, timeout: Duration? = nil) throws -> Result {
        func failure(_ what: String, _ code: Int32) -> SpawnFailed {
            SpawnFailed(command: command, reason: "\(what): \(String(cString: strerror(code)))")
        }
        let argumentList = directory.map { ["/usr/bin/env", "-C", $0, "--"] + command } ?? command
        // Close-on-exec from the start, so that children spawned meanwhile by other tests
        // do not keep our write ends open (reading would wait for them).
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, type, 0, &out) == 0 else { throw failure("socketpair", errno) }
        if !mergeErrors, socketpair(AF_UNIX, type, 0, &err) != 0 {
            let code = errno
            close(out[0]); close(out[1])
            throw failure("socketpair", code)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeErrors ? out[1] : err[1], 2)
        let argv = argumentList.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = envp.map { posix_spawn(&pid, argumentList[0], &actions, nil, argv, $0) }
            ?? posix_spawn(&pid, argumentList[0], &actions, nil, argv, environ)
        close(out[1])
        if !mergeErrors { close(err[1]) }
        guard spawned == 0 else {
            close(out[0])
            if !mergeErrors { close(err[0]) }
            throw failure("posix_spawn", spawned)
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let (stdout, stderr) = collect(out: out[0], err: mergeErrors ? nil : err[0], pid: pid, deadline: deadline)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw failure("waitpid", errno) }
        }
        // WIFEXITED / WEXITSTATUS, else WTERMSIG.
        let signalled = status & 0x7f != 0
        return Result(status: signalled ? status & 0x7f : (status >> 8) & 0xff, signalled: signalled,
                      stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Reads both descriptors to their end (closing them), killing `pid` at `deadline`.
    private static func collect(out: Int32, err: Int32?, pid: pid_t, deadline: ContinuousClock.Instant?) -> ([UInt8], [UInt8]) {
        var outputs: [[UInt8]] = [[], []]
        var open = [out, err ?? -1]
        var killed = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open.contains(where: { $0 >= 0 }) {
            if let deadline, !killed, ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                killed = true
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 50)
            if ready < 0 && errno != EINTR { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count > 0 {
                    outputs[index].append(contentsOf: buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    close(fds[index].fd)
                    open[index] = -1
                }
            }
        }
        return (outputs[0], outputs[1])
    }
}

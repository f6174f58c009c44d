import Glibc
import LinuxRuntime

/// Starts worker processes: `joold-worker --control-fd 3`, with its end of a
/// SOCK_SEQPACKET socketpair as descriptor 3, the default signal mask and
/// dispositions (the supervisor blocks its signals for signalfd), and the
/// supervisor's environment.
public struct WorkerLauncher: Sendable {
    public static let controlDescriptor: Int32 = 3
    public let executable: String

    public init(executable: String) {
        self.executable = executable
    }

    /// The joold-worker installed next to the running executable.
    public static func besideSelf() -> WorkerLauncher {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = length > 0 ? String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let directory = me.lastIndex(of: "/").map { String(me[..<$0]) } ?? "."
        return WorkerLauncher(executable: "\(directory)/joold-worker")
    }

    public struct Launched {
        public let pid: pid_t
        /// The supervisor's end of the socketpair (non-blocking, close-on-exec).
        public let control: Int32
    }

    public func launch() throws -> Launched {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw SystemError.lastError("socketpair", "worker control channel")
        }
        var (mine, theirs) = (pair[0], pair[1])
        defer { close(theirs) }
        if theirs == Self.controlDescriptor {
            // dup2(3, 3) would leave close-on-exec set; move it out of the way first.
            let moved = fcntl(theirs, F_DUPFD_CLOEXEC, 10)
            close(theirs)
            theirs = moved
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, theirs, Self.controlDescriptor)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = [executable, "--control-fd", String(Self.controlDescriptor)]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, &argv, environ)
        guard status == 0 else {
            close(mine)
            throw SystemError("posix_spawn", errno: status, context: executable)
        }
        _ = fcntl(mine, F_SETFL, fcntl(mine, F_GETFL) | O_NONBLOCK)
        return Launched(pid: pid, control: mine)
    }
}

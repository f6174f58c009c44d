#if canImport(Glibc)
import ControlProtocol
import Glibc
#endif
import LinuxRuntime

/// Where the control socket lives and the limits of docs/control-protocol.md.
public struct ControlServerConfiguration: Sendable {
    public static let defaultSocketPath = ControlSocket.defaultPath
    /// Mode of the socket's directory (owner root, group the control group).
    public static let directoryMode: mode_t = 0o750
    /// Mode of the socket file (owner root, group the control group).
    public static let socketMode: mode_t = 0o660

    /// The socket file; its directory is created if missing.
    public var socketPath: String
    /// The group whose members (besides root) may use the socket.
    public var groupName: String
    /// A connection without a complete request (or a response) for this long is closed.
    public var idleTimeout: Duration
    /// Connections beyond this many are accepted and closed at once.
    public var maxConnections: Int
    /// Longest request line in bytes, without its newline.
    public var maxLineLength: Int
    /// A client with more unsent response bytes than this is disconnected.
    public var maxPendingOutput: Int
    /// A streaming connection (`follow`) queues at most this many bytes of event lines;
    /// beyond, lines are dropped and counted (never a disconnection, never a wait).
    public var maxStreamBacklog: Int

    public init(socketPath: String = ControlServerConfiguration.defaultSocketPath, groupName: String = "root",
                idleTimeout: Duration = .seconds(60), maxConnections: Int = 256,
                maxLineLength: Int = 1 << 20, maxPendingOutput: Int = 1 << 20, maxStreamBacklog: Int = 256 << 10) {
        self.socketPath = socketPath
        self.groupName = groupName
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxLineLength = maxLineLength
        self.maxPendingOutput = maxPendingOutput
        self.maxStreamBacklog = maxStreamBacklog
    }

    /// The directory holding the socket ("." for a bare file name).
    public var socketDirectory: String {
        var path = Substring(socketPath)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

/// Why the control server could not start.
public enum ControlServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The control group does not exist.
    case noSuchGroup(String)
    /// A live server already answers on the socket path.
    case alreadyRunning(path: String)
    /// Something other than a socket sits at the socket path; it is left alone.
    case notASocket(path: String)
    /// The socket's directory exists and is not a directory.
    case notADirectory(path: String)
    /// The socket's directory is a symbolic link: where it leads may change.
    case directoryIsALink(path: String)
    /// The socket's directory belongs to another user, who could replace the socket.
    case directoryNotOwned(path: String, owner: uid_t)
    case system(SystemError)

    public var description: String {
        switch self {
        case let .noSuchGroup(name):
            return "the control group '\(name)' does not exist (create it with groupadd, or name another one)"
        case let .alreadyRunning(path):
            return "another supervisor is already listening on \(path)"
        case let .notASocket(path):
            return "\(path) exists and is not a socket; not replacing it"
        case let .notADirectory(path):
            return "\(path) exists and is not a directory"
        case let .directoryIsALink(path):
            return "the control socket's directory \(path) is a symbolic link; give --socket a path in a real directory"
        case let .directoryNotOwned(path, owner):
            return "the control socket's directory \(path) belongs to uid \(owner), not to this user (uid \(geteuid())): "
                + "its owner could replace the socket; remove it (it is created as needed) or give --socket another path"
        case let .system(error):
            return error.description
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import CShim
import LinuxRuntime
import Logging

/// The supervisor's end of the control socket (docs/control-protocol.md): the Unix
/// stream socket and its directory, access control, framing and limits. What the
/// requests mean is up to the `ControlHandler`.
///
/// Lives on one `EventLoop` and its thread: create it, use it and close it there.
public final class ControlServer {
    public let configuration: ControlServerConfiguration
    /// The control group, resolved when the server started.
    public let controlGroupID: gid_t
    public var socketPath: String { configuration.socketPath }
    /// Open client connections (those refused at once are not counted).
    public var connectionCount: Int { connections.count }
    public private(set) var isOpen = true

    let loop: EventLoop
    let logger: Logger
    private(set) var handler: (any ControlHandler)?
    private var listenFD: Int32 = -1
    /// The socket file this server created, so `close` never removes a successor's.
    private var socketIdentity: (device: UInt64, inode: UInt64)?
    private var connections: [UInt64: ControlConnection] = [:]
    private var nextConnectionID: UInt64 = 1
    private var nextRequestSequence: UInt64 = 1
    private var sweepTimer: EventLoop.TimerID?
    private var acceptResumeTimer: EventLoop.TimerID?
    private var loggedGroupFallback = false
    private let ownerThread = pthread_self()
    /// One read buffer for all connections (they are served one at a time).
    var readBuffer = [UInt8](repeating: 0, count: 65536)
    var warnings = RateLimiter(limit: 10, interval: .seconds(60))

    /// Resolves the control group, prepares the directory and the socket, and starts
    /// accepting on `loop`. Throws `ControlServerError`. The server keeps `handler`
    /// until `close()` (a handler that owns the server: close it to break the cycle).
    public init(configuration: ControlServerConfiguration, loop: EventLoop, handler: any ControlHandler,
                logger: Logger) throws(ControlServerError) {
        self.configuration = configuration
        self.loop = loop
        self.handler = handler
        self.logger = logger
        let gid: gid_t?
        do { gid = try GroupDatabase.groupID(named: configuration.groupName) } catch { throw .system(error) }
        guard let gid else { throw .noSuchGroup(configuration.groupName) }
        controlGroupID = gid
        do throws(ControlServerError) {
            try prepareDirectory()
            try removeStaleSocket()
            try listen()
            let sweep = max(.milliseconds(10), min(.seconds(1), configuration.idleTimeout / 4))
            do {
                sweepTimer = try loop.scheduleTimer(name: "control idle sweep", after: sweep, repeating: sweep) {
                    [weak self] in self?.closeIdleConnections()
                }
            } catch {
                throw .system(error)
            }
        } catch {
            close()
            throw error
        }
        logger.info("control socket \(socketPath) ready (group '\(configuration.groupName)', gid \(controlGroupID))")
    }

    deinit { close() }

    /// Closes every connection and the socket, and removes the socket file. Responders
    /// of requests still being handled do nothing afterwards. Harmless twice.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        if let sweepTimer { loop.cancelTimer(sweepTimer) }
        if let acceptResumeTimer { loop.cancelTimer(acceptResumeTimer) }
        sweepTimer = nil
        acceptResumeTimer = nil
        for connection in connections.values { connection.close(reason: nil) }
        connections.removeAll()
        if listenFD >= 0 {
            loop.unregister(fd: listenFD)
            Glibc.close(listenFD)
            listenFD = -1
        }
        if let socketIdentity, let current = Self.identity(of: socketPath), current == socketIdentity {
            unlink(socketPath)
        }
        socketIdentity = nil
        handler = nil
    }

    // MARK: - Socket file and directory

    /// Creates the socket's directory, or checks the one there: whoever owns the directory
    /// (or may write to it) can replace the socket and capture root's clients, so it must
    /// be a real directory (not a link) owned by this process's user, or a shared one with
    /// the sticky bit (/tmp) owned by root or by this user.
    private func prepareDirectory() throws(ControlServerError) {
        let directory = configuration.socketDirectory
        var info = stat()
        if lstat(directory, &info) != 0 {
            guard errno == ENOENT else { throw .system(.lastError("lstat", directory)) }
            guard mkdir(directory, ControlServerConfiguration.directoryMode) == 0 || errno == EEXIST else {
                throw .system(.lastError("mkdir", directory))
            }
            guard lstat(directory, &info) == 0 else { throw .system(.lastError("lstat", directory)) }
        }
        if info.st_mode & S_IFMT == S_IFLNK { throw .directoryIsALink(path: directory) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(path: directory) }
        let me = geteuid()
        // A shared directory (/tmp and the like) is not ours to lock down; its sticky bit
        // keeps others from replacing the socket.
        if info.st_mode & S_ISVTX != 0 {
            guard info.st_uid == me || info.st_uid == 0 else { throw .directoryNotOwned(path: directory, owner: info.st_uid) }
            logger.notice("control socket directory \(directory) is shared (mode \(String(info.st_mode & 0o7777, radix: 8))); leaving its mode and group alone")
            return
        }
        guard info.st_uid == me else { throw .directoryNotOwned(path: directory, owner: info.st_uid) }
        guard chown(directory, uid_t.max, controlGroupID) == 0 else { throw .system(.lastError("chown", directory)) }
        guard chmod(directory, ControlServerConfiguration.directoryMode) == 0 else {
            throw .system(.lastError("chmod", directory))
        }
    }

    /// A socket file left by a server that is gone is removed; one a live server
    /// answers on is not, and neither is anything that is not a socket.
    private func removeStaleSocket() throws(ControlServerError) {
        var info = stat()
        guard lstat(socketPath, &info) == 0 else {
            if errno == ENOENT { return }
            throw .system(.lastError("lstat", socketPath))
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: socketPath) }
        let probe: Int32
        var code: Int32 = 0
        do {
            let address = try UnixSocketAddress(path: socketPath)
            probe = try SocketCalls.unixSocket(SOCK_STREAM, nonBlocking: true, context: socketPath)
            do { try SocketCalls.connect(probe, to: address) } catch { code = error.errno }
        } catch {
            throw .system(error)
        }
        Glibc.close(probe)
        // EAGAIN: a live listener whose backlog is full.
        if code == 0 || code == EAGAIN || code == EINPROGRESS { throw .alreadyRunning(path: socketPath) }
        switch code {
        case ECONNREFUSED:
            guard unlink(socketPath) == 0 || errno == ENOENT else { throw .system(.lastError("unlink", socketPath)) }
            logger.info("removed the stale control socket \(socketPath)")
        case ENOENT:
            return
        default:
            throw .system(SystemError("connect", errno: code, context: "probing \(socketPath)"))
        }
    }

    private func listen() throws(ControlServerError) {
        do {
            let address = try UnixSocketAddress(path: socketPath)
            listenFD = try SocketCalls.unixSocket(SOCK_STREAM, nonBlocking: true, context: socketPath)
            try SocketCalls.bind(listenFD, to: address)
        } catch {
            throw .system(error)
        }
        let fd = listenFD
        socketIdentity = Self.identity(of: socketPath)
        // Permissions before listen(): nobody can connect while they are still wide.
        guard chown(socketPath, uid_t.max, controlGroupID) == 0 else { throw .system(.lastError("chown", socketPath)) }
        guard chmod(socketPath, ControlServerConfiguration.socketMode) == 0 else {
            throw .system(.lastError("chmod", socketPath))
        }
        guard Glibc.listen(fd, 128) == 0 else { throw .system(.lastError("listen", socketPath)) }
        do {
            try loop.register(fd: fd, name: "control socket \(socketPath)") { [weak self] in self?.acceptPending() }
        } catch {
            throw .system(error)
        }
    }

    private static func identity(of path: String) -> (device: UInt64, inode: UInt64)? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    // MARK: - Accepting

    private func acceptPending() {
        for _ in 0..<64 {
            guard isOpen else { return }
            let fd: Int32
            do {
                fd = try SystemCall.retrying("accept4", socketPath) { cshim_accept_nonblocking(listenFD) }
            } catch {
                switch error.errno {
                case EAGAIN, EWOULDBLOCK:
                    return
                case ECONNABORTED, EPROTO:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Level-triggered: retrying at once would spin. Try again shortly.
                    warnings.log(logger, .error, key: "accept", "control socket: \(error); pausing accept for 100 ms")
                    pauseAccepting()
                    return
                default:
                    warnings.log(logger, .error, key: "accept", "control socket: \(error)")
                    return
                }
            }
            admit(fd)
        }
    }

    private func pauseAccepting() {
        guard acceptResumeTimer == nil, (try? loop.setInterest(fd: listenFD, readable: false, writable: false)) != nil
        else { return }
        acceptResumeTimer = try? loop.scheduleTimer(name: "control accept resume", after: .milliseconds(100)) {
            [weak self] in
            guard let self, self.isOpen else { return }
            self.acceptResumeTimer = nil
            try self.loop.setInterest(fd: self.listenFD, readable: true, writable: false)
        }
        if acceptResumeTimer == nil { try? loop.setInterest(fd: listenFD, readable: true, writable: false) }
    }

    private func admit(_ fd: Int32) {
        guard connections.count < configuration.maxConnections else {
            refuse(fd, ControlError(.busy, "too many connections to the supervisor (\(connections.count), the limit); try again later"),
                   log: "connection refused, \(connections.count) connections already open (the limit)")
            return
        }
        let peer: PeerCredentials
        do {
            let (credentials, fallback) = try PeerCredentials.read(fd: fd)
            peer = credentials
            if fallback && !loggedGroupFallback {
                loggedGroupFallback = true
                logger.notice("the kernel lacks SO_PEERGROUPS (Linux 4.13+): control clients' supplementary groups come from the group database")
            }
        } catch {
            warnings.log(logger, .error, key: "credentials", "control socket: connection refused: \(error)")
            Glibc.close(fd)
            return
        }
        guard peer.mayControl(controlGroup: controlGroupID) else {
            refuse(fd, ControlError(.permissionDenied,
                                    "permission denied: only root and members of group '\(configuration.groupName)' may use the supervisor"),
                   key: "denied",
                   log: "refused \(peer) (groups \(peer.supplementaryGroups)): neither root nor in group '\(configuration.groupName)'")
            return
        }
        if let refusal = connectionLimit(for: peer) {
            refuse(fd, ControlError(.busy, refusal + "; try again later"), log: "connection from \(peer) refused: \(refusal)")
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = ControlConnection(id: id, fd: fd, peer: peer, server: self)
        do {
            try loop.register(fd: fd, name: "control client \(peer)",
                              onReadable: { [weak connection] in connection?.readable() },
                              onWritable: { [weak connection] in connection?.writable() })
        } catch {
            Glibc.close(fd)
            warnings.log(logger, .error, key: "register", "control socket: cannot watch a connection: \(error)")
            return
        }
        connections[id] = connection
        logger.debug("control connection \(id) from \(peer)")
    }

    /// Why `peer` may not open one more connection now; nil if it may. Root may use every
    /// connection; the others leave `rootReserve` free and hold `maxConnectionsPerUser`
    /// each, so that no member, however many connections (or `follow` streams) it opens,
    /// locks root out.
    private func connectionLimit(for peer: PeerCredentials) -> String? {
        guard peer.uid != 0 else { return nil }
        let others = connections.values.filter { $0.peer.uid != 0 }
        let shared = configuration.maxConnections - configuration.rootReserve
        if others.count >= shared {
            return "the \(shared) connections open to users other than root are in use"
        }
        let own = others.count(where: { $0.peer.uid == peer.uid })
        if own >= configuration.maxConnectionsPerUser {
            return "uid \(peer.uid) already holds \(own) connections (the limit per user)"
        }
        return nil
    }

    /// Answers a connection it is refused, in one line, and closes it.
    private func refuse(_ fd: Int32, _ error: ControlError, key: String = "too-many", log: String) {
        warnings.log(logger, .warning, key: key, "control socket: \(log)")
        let line = Array((ControlResponse(id: nil, .failure(error)).line + "\n").utf8)
        // A fresh socket's buffer is empty: the line fits. Best effort either way.
        _ = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        Glibc.close(fd)
    }

    // MARK: - Shared with the connections

    func forget(_ connection: ControlConnection) {
        connections[connection.id] = nil
    }

    func takeRequestSequence() -> UInt64 {
        defer { nextRequestSequence += 1 }
        return nextRequestSequence
    }

    func assertOwnerThread() {
        precondition(pthread_equal(pthread_self(), ownerThread) != 0,
                     "ControlServer: a responder was called off the event loop's thread")
    }

    private func closeIdleConnections() {
        let now = MonotonicClock.nanoseconds()
        let (seconds, attoseconds) = configuration.idleTimeout.components
        let limit = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
        for connection in connections.values where connection.isIdle(now: now, limit: limit) {
            warnings.log(logger, .info, key: "idle",
                         "control connection from \(connection.peer) closed: idle for \(configuration.idleTimeout)")
            connection.close(reason: nil)
        }
    }
}

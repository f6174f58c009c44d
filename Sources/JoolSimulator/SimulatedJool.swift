import Foundation
import Glibc
import JoolWire
import LinuxRuntime
import Netlink
import Synchronization

/// A stand-in for the Jool kernel module for host tests and benchmarks, where no module
/// can be loaded: it listens on a Unix SOCK_SEQPACKET socket (a worker connects to it
/// when JOOLD_TEST_KERNEL_SOCKET names it) and speaks the same netlink bytes as Jool:
/// nlctrl family lookup, INSTANCE_HELLO, GLOBAL_FOREACH/UPDATE, SESSION_FOREACH (over a
/// session table per instance that tests set), JOOLD_ADD/ACK/ADVERTISE, and session
/// multicasts. It records every request so tests can assert exact bytes.
public final class SimulatedJool: Sendable {
    public struct Instance: Equatable, Sendable {
        public var name: String
        public var isNAT64: Bool
        public var ssEnabled: Bool
        public init(name: String = "default", isNAT64: Bool = true, ssEnabled: Bool = true) {
            self.name = name
            self.isNAT64 = isNAT64
            self.ssEnabled = ssEnabled
        }
    }

    /// A JOOLD_ADD as the kernel received it.
    public struct ReceivedAdd: Equatable, Sendable {
        public var instance: String
        /// The session container's payload (what the peer's kernel multicast).
        public var payload: [UInt8]
        /// The whole netlink message.
        public var message: [UInt8]
    }

    /// What the simulated kernel has seen so far.
    public struct Record: Sendable {
        public var requests: [[UInt8]] = []
        public var adds: [ReceivedAdd] = []
        public var acks = 0
        public var advertisements = 0
        /// Requests the real kernel would have mishandled (e.g. ADD without container).
        public var violations: [String] = []
        public var connections = 0
        /// Every JNLOP_SESSION_FOREACH answered with a page, in order.
        public var sessionForeaches: [SessionForeach] = []
    }

    /// One JNLOP_SESSION_FOREACH as the kernel understood it.
    public struct SessionForeach: Equatable, Sendable {
        public var instance: String
        public var proto: Session.TransportProtocol
        public var offset: SessionTableOffset?
        /// Sessions in the reply, and whether it had the M flag.
        public var sessions: Int
        public var more: Bool
    }

    /// Sessions per JNLOP_SESSION_FOREACH reply, as a 4.1.9 kernel on x86-64 fills its
    /// GENLMSG_DEFAULT_SIZE reply: 4096 - 320 (skb_shared_info) = 3776 bytes, 48 of
    /// them headers, 140 per session (computed from the sources, not measured).
    public static let defaultSessionsPerPage = 26

    private struct State: Sendable {
        var instances: [Instance]
        var moduleLoaded = true
        var stopping = false
        var record = Record()
        var clients: [Int32] = []
        /// Per instance name, in the kernel's table order, one session per (proto, src4, dst4).
        var sessions: [String: [Session]] = [:]
        var sessionsPerPage = SimulatedJool.defaultSessionsPerPage
        /// Session packets multicast just before the next reply.
        var beforeNextReply: [[UInt8]] = []
    }

    public let path: String
    public let version: JoolVersion
    private let state: Mutex<State>
    private let listener: Int32
    private let wake: (read: Int32, write: Int32)

    public init(path: String, version: JoolVersion = .v4_1_9, instances: [Instance] = [Instance()]) throws(SystemError) {
        self.path = path
        self.version = version
        state = Mutex(State(instances: instances))
        unlink(path)
        listener = try Self.listen(at: path)
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw SystemError.lastError("pipe", path) }
        pipeFDs.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }   // spawned workers must not inherit them
        wake = (pipeFDs[0], pipeFDs[1])
        let thread = Thread { [self] in serve() }
        thread.name = "simulated jool"
        thread.start()
    }

    deinit {
        stop()
    }

    /// Ends the serving thread and closes every connection.
    public func stop() {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        if first { wakeUp() }   // the serving thread closes the pipe when it ends
    }

    /// A connection made without the socket path (socketpair), for in-process tests:
    /// wrap the returned descriptor in a UnixKernelChannel.
    public func connect() throws(SystemError) -> Int32 {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue), 0, &pair) == 0 else {
            throw SystemError.lastError("socketpair", path)
        }
        pair.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        state.withLock {
            $0.clients.append(pair[0])
            $0.record.connections += 1
        }
        wakeUp()
        return pair[1]
    }

    private func wakeUp() {
        var byte: UInt8 = 1
        _ = try? SystemCall.retrying("write", "simulator wake-up pipe") { write(wake.write, &byte, 1) }
    }

    // MARK: - What tests change and observe

    public var record: Record { state.withLock { $0.record } }

    public func update(_ body: (inout [Instance]) -> Void) { state.withLock { body(&$0.instances) } }

    public func setModuleLoaded(_ loaded: Bool) { state.withLock { $0.moduleLoaded = loaded } }

    /// Replaces the session table of `instance` (TCP, UDP and ICMP together). Like the
    /// kernel's, the table holds one session per (protocol, src4, dst4): a later one
    /// replaces an earlier one with the same key. A session without dst6 gets the one
    /// the simulated pool6 (64:ff9b::/96) gives it.
    public func setSessions(_ sessions: [Session], instance: String = JoolNetlink.defaultInstanceName) {
        var byKey: [SessionKey: Session] = [:]
        for var session in sessions {
            if session.dst6 == nil {
                session.dst6 = .init(address: IPv6Address(bytes: [0, 0x64, 0xff, 0x9b] + [UInt8](repeating: 0, count: 8)
                                                          + session.dst4.address.bytes)!,
                                     port: session.proto == .icmp ? session.src6.port : session.dst4.port)
            }
            byKey[SessionKey(session)] = session
        }
        let table = byKey.values.sorted { SessionKey($0) < SessionKey($1) }
        state.withLock { $0.sessions[instance] = table }
    }

    /// The session table of `instance`, in the kernel's order (protocol, then src4, dst4).
    public func sessions(instance: String = JoolNetlink.defaultInstanceName) -> [Session] {
        state.withLock { $0.sessions[instance] ?? [] }
    }

    /// How many sessions each SESSION_FOREACH reply holds at most (at least 1).
    public func setSessionsPerPage(_ count: Int) { state.withLock { $0.sessionsPerPage = max(1, count) } }

    var sessionsPerPage: Int { state.withLock { $0.sessionsPerPage } }

    /// Multicasts a session packet to every connected worker, as the kernel does.
    public func multicast(payload: [UInt8], instance: String = "default") {
        sendToAll(KernelMessages.sessionMulticast(instance: instance, version: version, payload: payload))
    }

    /// Multicasts a session packet just before the next reply to a request, as the kernel
    /// does when a session changes while a request is in flight.
    public func multicastBeforeNextReply(payload: [UInt8], instance: String = "default") {
        let packet = KernelMessages.sessionMulticast(instance: instance, version: version, payload: payload)
        state.withLock { $0.beforeNextReply.append(packet) }
    }

    /// Sends arbitrary bytes as if the kernel had (hostile-kernel tests).
    public func sendToAll(_ message: [UInt8]) {
        let clients = state.withLock { $0.clients }
        for fd in clients { send(message, to: fd) }
    }

    /// Polls `condition` on the record until it holds or `timeout` passes.
    @discardableResult
    public func wait(timeout: Duration = .seconds(5), until condition: (Record) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(record) { return true }
            usleep(2000)
        }
        return condition(record)
    }

    // MARK: - Serving

    private func serve() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        serving: while true {
            let clients = state.withLock { $0.clients }
            var fds = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            fds += clients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard (try? SystemCall.retrying("poll", "simulated jool") { poll(&fds, nfds_t(fds.count), -1) }) != nil
            else { break }
            if fds[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 64)
                _ = try? SystemCall.retrying("read", "simulator wake-up pipe") { read(wake.read, &drained, drained.count) }
                if state.withLock({ $0.stopping }) { break serving }
                continue
            }
            if fds[1].revents & Int16(POLLIN) != 0 { accept() }
            for entry in fds.dropFirst(2) where entry.revents != 0 {
                let count = try? SystemCall.retrying("recv", "simulated jool") {
                    buffer.withUnsafeMutableBytes { recv(entry.fd, $0.baseAddress, $0.count, 0) }
                }
                guard let count, count > 0 else {
                    disconnect(entry.fd)
                    continue
                }
                for message in NetlinkMessage.split(Array(buffer[0..<count])).messages {
                    guard let answer = handle(message) else { continue }
                    let interleaved = state.withLock { state in
                        defer { state.beforeNextReply = [] }
                        return state.beforeNextReply
                    }
                    interleaved.forEach(sendToAll)
                    send(answer, to: entry.fd)
                }
            }
        }
        let clients = state.withLock { state in
            defer { state.clients = [] }
            return state.clients
        }
        clients.forEach { _ = close($0) }
        close(listener)
        close(wake.read)
        close(wake.write)
        unlink(path)
    }

    /// The simulator ignores a peer that is gone: its connection is dropped on the next poll.
    private func send(_ message: [UInt8], to fd: Int32) {
        _ = try? SystemCall.retrying("send", "simulated jool") {
            message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    private func accept() {
        guard let fd = try? SystemCall.retrying("accept", path, { Glibc.accept(listener, nil, nil) }) else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        state.withLock {
            $0.clients.append(fd)
            $0.record.connections += 1
        }
    }

    private func disconnect(_ fd: Int32) {
        state.withLock { $0.clients.removeAll { $0 == fd } }
        close(fd)
    }

    /// The kernel's answer to one request, or nil when it sends none.
    private func handle(_ message: NetlinkMessage) -> [UInt8]? {
        let loaded = state.withLock { state in
            state.record.requests.append(message.bytes)
            return state.moduleLoaded
        }
        if message.type == NetlinkController.id {
            return loaded ? KernelMessages.newFamily(to: message) : KernelMessages.netlinkError(ENOENT, to: message)
        }
        guard loaded, message.type == KernelMessages.familyID else {
            return KernelMessages.netlinkError(ENOENT, to: message)
        }
        guard message.flags & NetlinkConstants.flagRequest != 0 else { return nil }
        guard message.payload.count >= NetlinkConstants.genlHeaderSize + JoolNetlink.headerSize,
              let jool = try? JoolMessage(message) else {
            return KernelMessages.netlinkError(EINVAL, to: message)
        }
        let header = Array(message.payload[NetlinkConstants.genlHeaderSize..<NetlinkConstants.genlHeaderSize + JoolNetlink.headerSize])
        return JoolRequestHandler(simulator: self, message: message, jool: jool, header: header).answer()
    }

    // Used by JoolRequestHandler.
    func instance(named name: String, nat64: Bool) -> Instance? {
        let wanted = name.isEmpty ? JoolNetlink.defaultInstanceName : name
        return state.withLock { $0.instances.first { $0.name == wanted && $0.isNAT64 == nat64 } }
    }

    func setSSEnabled(_ enabled: Bool, instance: String) {
        state.withLock { state in
            if let index = state.instances.firstIndex(where: { $0.name == instance }) {
                state.instances[index].ssEnabled = enabled
            }
        }
    }

    func note(_ body: (inout Record) -> Void) { state.withLock { body(&$0.record) } }

    private static func listen(at path: String) throws(SystemError) -> Int32 {
        let address = try UnixSocketAddress(path: path)
        let fd = try SocketCalls.unixSocket(SOCK_SEQPACKET, context: path)
        do throws(SystemError) {
            try SocketCalls.bind(fd, to: address)
            guard Glibc.listen(fd, 16) == 0 else { throw SystemError.lastError("listen", path) }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}

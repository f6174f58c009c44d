import ControlProtocol
import Glibc
import LinuxRuntime
import Testing

/// The channel both ends of a worker's socketpair use: whole messages, and sends whose
/// failures reach the caller.
@Suite struct WorkerChannelTests {
    /// A SOCK_SEQPACKET socketpair as the supervisor makes it; `nonBlocking`: the first
    /// end is non-blocking, as the supervisor's is.
    private static func pair(nonBlocking: Bool = false) throws -> (WorkerChannel, WorkerChannel) {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        if nonBlocking { _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK) }
        return (WorkerChannel(fd: fds[0], name: "supervisor end"), WorkerChannel(fd: fds[1], name: "worker end"))
    }

    @Test func aMessageArrivesWholeAndAClosedPeerReadsClosed() throws {
        let (supervisor, worker) = try Self.pair(nonBlocking: true)
        defer { worker.close() }
        try supervisor.send(.statsRequest(id: 7))
        try supervisor.send(.follow(true))
        #expect(worker.receive(wait: 1000) == .message(.statsRequest(id: 7)))
        #expect(worker.receive() == .message(.follow(true)))
        #expect(worker.receive() == .nothing)
        #expect(send(worker.fd, "not json", 8, 0) == 8)
        #expect(supervisor.receive(wait: 1000) == .unreadable)
        supervisor.close()
        #expect(worker.receive(wait: 1000) == .closed)
    }

    /// Before, the supervisor's end ignored send's result: a request to a dead worker
    /// waited for a reply that could not come.
    @Test func aSendToAClosedPeerIsAnError() throws {
        for nonBlocking in [false, true] {
            let (mine, peer) = try Self.pair(nonBlocking: nonBlocking)
            defer { mine.close() }
            peer.close()
            for send in [mine.send, mine.sendWithoutWaiting] {
                let error = #expect(throws: SystemError.self) { try send(.stop) }
                #expect(error?.errno == EPIPE, "\(String(describing: error))")
                #expect(error?.context == "supervisor end")
            }
        }
    }

    /// The supervisor's end is non-blocking: a worker that does not read fills its queue,
    /// and the next send says so (EAGAIN) instead of blocking the supervisor's loop.
    @Test func aFullQueueOnANonBlockingEndIsReported() throws {
        let (supervisor, worker) = try Self.pair(nonBlocking: true)
        defer { supervisor.close(); worker.close() }
        let error = try #require(Self.sendUntilRefused(supervisor.send))
        #expect(error.errno == EAGAIN, "\(error)")
        // Room again once the worker reads.
        #expect(worker.receive() == .message(.statsRequest(id: 0)))
        try supervisor.send(.stop)
    }

    /// The worker's end is blocking (its replies wait for room); its session feed must
    /// not wait: `sendWithoutWaiting` reports the full queue.
    @Test func theWorkersFeedIsToldTheQueueIsFullInsteadOfWaiting() throws {
        let (supervisor, worker) = try Self.pair(nonBlocking: true)
        defer { supervisor.close(); worker.close() }
        #expect(fcntl(worker.fd, F_GETFL) & O_NONBLOCK == 0)
        let error = try #require(Self.sendUntilRefused(worker.sendWithoutWaiting))
        #expect(error.errno == EAGAIN, "\(error)")
    }

    /// Sends numbered stats requests until one is refused; that refusal.
    private static func sendUntilRefused(_ send: (WorkerMessage) throws(SystemError) -> Void) -> SystemError? {
        for id in 0..<100_000 {
            do {
                try send(.statsRequest(id: Int64(id)))
            } catch {
                return id > 0 ? error : nil
            }
        }
        return nil
    }
}

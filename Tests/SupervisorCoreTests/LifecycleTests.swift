import Configuration
import ControlProtocol
import Glibc
import LinuxRuntime
import NetworkTestSupport
@testable import SupervisorCore
import Testing

/// The worker lifecycle (`ManagedInstance.Phase`) with real processes: stand-in workers
/// (shell scripts holding their end of the socketpair) whose exits the test causes, a
/// real state file, the supervisor's own loop on the test's thread.
@Suite(.serialized) struct LifecycleTests {
    /// A worker that may report itself running, may ignore SIGTERM, and otherwise
    /// never reads or answers (so requests to it stay pending until it dies).
    enum StandIn: String {
        case silent = "exec sleep 60"
        case running = #"printf '%s' '{"type":"status","state":"running"}' >&3; exec sleep 60"#
        case stubborn = #"trap '' TERM; printf '%s' '{"type":"status","state":"running"}' >&3; exec sleep 60"#
        /// Closes its end of the channel (after the supervisor sent its configuration)
        /// and lives on.
        case deaf = "sleep 0.2; exec 3>&-; exec sleep 60"
    }

    @Test func aDefinitionChangeDuringBackoffRestartsAtOnce() throws {
        let h = try Harness(.silent)
        defer { h.tearDown() }
        let managed = try h.instance()
        let first = try #require(managed.worker?.pid)
        // The next delay is the ceiling (30 s), as after a crash loop.
        for _ in 0..<10 { _ = managed.backoff.delay(afterRunningFor: .zero) }
        #expect(kill(first, SIGKILL) == 0)
        try #require(h.spin { managed.state == .backingOff }, "\(managed.phase)")
        #expect(managed.statusRecord.pid == nil)
        #expect(managed.lastError == "worker was killed by signal 9 (SIGKILL)")

        try h.redefine(advertiseRate: 500)
        #expect(managed.spec.advertiseRate == 500)
        try #require(h.spin(within: .seconds(2)) { managed.worker != nil }, "still \(managed.phase)")
        #expect(managed.starts == 2)
        #expect(managed.worker?.pid != first)
    }

    @Test func aRemoveWhileStoppingForARestartNeverRestarts() throws {
        let h = try Harness(.stubborn)
        defer { h.tearDown() }
        let managed = try h.instance()
        try #require(h.spin { managed.state == .running })
        let pid = try #require(managed.worker?.pid)
        try h.redefine(advertiseRate: 500)
        #expect(managed.phase.afterStop == .restart, "\(managed.phase)")
        #expect(try h.request(.remove(h.selector)).answer?.isSuccess == true)
        #expect(managed.phase.afterStop == .retire, "\(managed.phase)")
        // It ignored SIGTERM; it dies now, before the kill timer.
        #expect(kill(pid, SIGKILL) == 0)
        try #require(h.spin { managed.phase.isRetired }, "\(managed.phase)")
        _ = h.spin(within: .milliseconds(300)) { false }
        #expect(h.supervisor.children.isEmpty && managed.starts == 1)
        #expect(h.supervisor.instances.isEmpty)
    }

    @Test func aRestartAskedWhileStoppingToRetireIsIgnored() throws {
        let h = try Harness(.stubborn)
        defer { h.tearDown() }
        let managed = try h.instance()
        try #require(h.spin { managed.state == .running })
        h.supervisor.retire(managed)
        h.supervisor.stopWorker(managed, then: .restart)
        #expect(managed.phase.afterStop == .retire, "\(managed.phase)")
        #expect(kill(try #require(managed.worker?.pid), SIGKILL) == 0)
        #expect(h.spin { managed.phase.isRetired }, "\(managed.phase)")
    }

    /// Stats and advertise requests a worker never answers are answered when it dies,
    /// whether it was running or stopping, well before the stats timeout.
    @Test(arguments: [false, true])
    func pendingRequestsAreAnsweredWhenTheWorkerDies(stopping: Bool) throws {
        let h = try Harness(.stubborn)
        defer { h.tearDown() }
        let managed = try h.instance()
        try #require(h.spin { managed.state == .running })
        if stopping { try h.redefine(advertiseRate: 500) }
        let stats = try h.request(.stats(h.selector))
        let advertise = try h.request(.advertise(h.selector, wait: true, rate: nil))
        let worker = try #require(managed.worker)
        #expect(worker.pendingStats.count == 1 && worker.pendingAdvertise.count == 1)
        _ = h.spin(within: .milliseconds(100)) { false }
        #expect(stats.answer == nil && advertise.answer == nil, "answered by a worker that never answers")

        #expect(kill(worker.pid, SIGKILL) == 0)
        try #require(h.spin(within: .seconds(1)) { stats.answer != nil && advertise.answer != nil })
        let entry = try #require(stats.answer.flatMap { try? $0.get() }?["instances"]?.arrayValue?.first)
        #expect(entry["counters"] == .null)
        #expect(advertise.answer?.failureCode == .notRunning, "\(String(describing: advertise.answer))")
        // Stopping for a restart: the next worker starts at once, without backoff.
        #expect(stopping ? managed.worker != nil && managed.starts == 2 : managed.state == .backingOff, "\(managed.phase)")
    }

    /// A worker gone: the send fails (ECONNRESET, EPIPE), is counted, and the request is answered at
    /// once instead of waiting for a reply that cannot come.
    @Test func aSendToAWorkerThatClosedItsEndIsCountedAndAnswered() throws {
        let h = try Harness(.deaf)
        defer { h.tearDown() }
        let managed = try h.instance()
        let worker = try #require(managed.worker)
        let channel = try #require(worker.channel)
        // The worker closed its end; the loop has not looked yet.
        var hangup = pollfd(fd: channel.fd, events: Int16(POLLIN), revents: 0)
        try #require(poll(&hangup, 1, 2000) == 1 && hangup.revents & Int16(POLLHUP) != 0)
        let stats = try h.request(.stats(h.selector))
        #expect(stats.answer.flatMap { try? $0.get() }?["instances"]?.arrayValue?.first?["counters"] == .null)
        #expect(worker.failedSends == 1 && worker.channel == nil)
        // ECONNRESET when the worker closed with the configuration unread, EPIPE otherwise.
        #expect(h.log.messages.contains { $0.contains("cannot send to worker \(worker.pid)")
                    && ($0.contains("errno \(ECONNRESET)") || $0.contains("errno \(EPIPE)")) }, "\(h.log.messages)")
    }

    /// A worker that does not read: the supervisor's sends fail with EAGAIN (counted) and
    /// never block its loop; the channel stays open.
    @Test func aFullWorkerQueueIsCountedAndDoesNotBlock() throws {
        let h = try Harness(.silent)
        defer { h.tearDown() }
        let managed = try h.instance()
        let worker = try #require(managed.worker)
        var sent = 0
        while h.supervisor.send(.statsRequest(id: Int64(sent)), to: managed) && sent < 100_000 { sent += 1 }
        #expect(sent > 0 && sent < 100_000)
        #expect(worker.failedSends == 1 && worker.channel != nil)
        #expect(h.log.messages.contains { $0.contains("errno \(EAGAIN)") }, "\(h.log.messages)")
    }
}

/// One supervisor on the test's thread with one instance ("alpha", the supervisor's
/// namespace) whose workers are a `StandIn`.
final class Harness {
    let directory = TemporaryDirectory(prefix: "jlife")
    let log = LogCapture()
    let loop: EventLoop
    let stateFile: StateFile
    let supervisor: Supervisor
    let selector = InstanceSelector(instance: "alpha")

    init(_ standIn: LifecycleTests.StandIn) throws {
        let script = directory.write("worker", "#!/bin/sh\n\(standIn.rawValue)\n")
        #expect(chmod(script, 0o755) == 0)
        loop = try EventLoop(logger: log.logger(label: "loop"))
        stateFile = StateFile(path: directory.file("state.json"))
        supervisor = Supervisor(loop: loop, stateFile: stateFile, launcher: WorkerLauncher(executable: script),
                                logger: log.logger(label: "supervisor"))
    }

    /// Starts the supervisor with the instance in its state file.
    func instance() throws -> ManagedInstance {
        try stateFile.save([try Self.spec(advertiseRate: nil)])
        try supervisor.start()
        return try #require(supervisor.instances.values.first)
    }

    /// A hand edit of the state file (another advertise rate) and SIGHUP.
    func redefine(advertiseRate: Int) throws {
        try stateFile.save([try Self.spec(advertiseRate: advertiseRate)])
        supervisor.reload()
    }

    static func spec(advertiseRate: Int?) throws -> InstanceSpec {
        try InstanceSpec(name: "alpha", net: .object([]), netPath: "net", advertiseRate: advertiseRate)
    }

    final class Pending {
        var answer: Result<JSONValue, ControlError>?
    }

    func request(_ operation: ControlOperation) throws -> Pending {
        let pending = Pending()
        supervisor.handle(ControlRequest(operation), peer: PeerCredentials(pid: getpid(), uid: 0, gid: 0)) {
            pending.answer = $0
        }
        return pending
    }

    /// Runs the supervisor's loop (reaping its children as SIGCHLD would) until
    /// `condition` holds or `within` has passed; whether it held.
    @discardableResult
    func spin(within: Duration = .seconds(3), until condition: @escaping () -> Bool) -> Bool {
        var held = condition()
        guard !held else { return true }
        let tick = try? loop.scheduleTimer(name: "test tick", after: .milliseconds(2), repeating: .milliseconds(2)) { [self] in
            supervisor.reapChildren()
            if condition() { held = true; loop.stop() }
        }
        let deadline = try? loop.scheduleTimer(name: "test deadline", after: within) { [self] in loop.stop() }
        try? loop.run()
        tick.map(loop.cancelTimer)
        deadline.map(loop.cancelTimer)
        return held
    }

    /// Kills and reaps the workers left, removes the directory.
    func tearDown() {
        for pid in supervisor.children.keys {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        directory.remove()
    }
}

extension Result where Success == JSONValue, Failure == ControlError {
    var isSuccess: Bool { (try? get()) != nil }
    var failureCode: ControlError.Code? {
        if case let .failure(error) = self { return error.code }
        return nil
    }
}

extension ManagedInstance.Phase {
    var afterStop: ManagedInstance.AfterStop? {
        if case let .stopping(_, _, then) = self { return then }
        return nil
    }

    var isRetired: Bool {
        if case .retired = self { return true }
        return false
    }
}

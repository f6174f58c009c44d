import ControlProtocol
import Glibc
import LinuxRuntime

/// The life of an instance's worker (`ManagedInstance.Phase`), each transition in one
/// place:
///
///     unstarted ──startWorker──▶ running ──exit──▶ backingOff ──timer──▶ startWorker
///                                  │                  │
///                   stopWorker(then:)          stopWorker(.restart): startWorker at once
///                                  ▼                  │ stopWorker(.retire)
///                  stopping ──exit──▶ .restart: startWorker; .retire: retired
extension Supervisor {
    /// Launches a worker: running, or backing off if it cannot be launched.
    func startWorker(_ managed: ManagedInstance) {
        let launched: WorkerLauncher.Launched
        do {
            launched = try launcher.launch()
        } catch {
            let message = "cannot start the worker: \(error)"
            managed.lastError = message
            logger.error("\(managed.key): \(message)")
            managed.failFirstReportWaiters(ControlError(.internal, message))
            backOff(managed, uptime: .zero, lastReport: nil)
            return
        }
        let worker = LiveWorker(pid: launched.pid, channel: WorkerChannel(
            fd: launched.control, name: "worker \(launched.pid)", buffer: workerBuffer))
        managed.starts += 1
        managed.phase = .running(worker)
        children[launched.pid] = managed
        do {
            try loop.register(fd: launched.control, name: "worker \(launched.pid)") { [unowned self, unowned managed] in
                workerReadable(managed, worker)
            }
        } catch {
            logger.error("\(managed.key): cannot watch worker \(launched.pid): \(error)")
        }
        send(.configure(WorkerSpec(instance: managed.spec, netnsPath: managed.namespace.path)), to: managed)
        updateFeed(managed)
        logger.info("\(managed.key): worker \(launched.pid) started (start #\(managed.starts))")
    }

    /// Stops the instance's worker (message and SIGTERM, SIGKILL after `stopTimeout`),
    /// then restarts it at once or retires the instance. Without a worker, that happens
    /// now. Retiring wins over a restart asked before or after.
    func stopWorker(_ managed: ManagedInstance, then next: ManagedInstance.AfterStop) {
        switch managed.phase {
        case let .running(worker):
            send(.stop, to: managed)
            kill(worker.pid, SIGTERM)
            let pid = worker.pid
            let killTimer = try? loop.scheduleTimer(name: "kill \(pid)", after: Self.stopTimeout) { [unowned self, weak managed] in
                guard let managed, case let .stopping(current, _, _) = managed.phase, current.pid == pid else { return }
                logger.warning("\(managed.key): worker \(pid) did not stop within \(Self.stopTimeout); killing it")
                kill(pid, SIGKILL)
            }
            managed.phase = .stopping(worker, killTimer: killTimer, then: next)
        case let .stopping(worker, killTimer, then):
            managed.phase = .stopping(worker, killTimer: killTimer, then: then == .retire ? .retire : next)
        case let .backingOff(restartTimer, _):
            if let restartTimer { loop.cancelTimer(restartTimer) }
            if next == .restart && !stopping { startWorker(managed) } else { managed.phase = .retired }
        case .unstarted:
            if next == .restart && !stopping { startWorker(managed) } else { managed.phase = .retired }
        case .retired:
            break
        }
    }

    /// Retires the instance: its worker stops and none starts again.
    func retire(_ managed: ManagedInstance) {
        stopWorker(managed, then: .retire)
    }

    /// SIGCHLD: reaps the workers that exited (only the supervisor's own: nothing else
    /// in the process is waited for).
    public func reapChildren() {
        for (pid, managed) in children {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { continue }
            children[pid] = nil
            workerExited(managed, pid: pid, status: status)
        }
    }

    private func workerExited(_ managed: ManagedInstance, pid: pid_t, status: Int32) {
        guard let worker = managed.worker, worker.pid == pid else { return }
        let how = Self.describeExit(status)
        closeChannel(of: worker)
        worker.failPending(ControlError(.notRunning, "the worker of \(managed.key) \(how)"))
        managed.failFirstReportWaiters(ControlError(.notRunning, "the worker of \(managed.key) \(how)"))
        var next: ManagedInstance.AfterStop?
        if case let .stopping(_, killTimer, then) = managed.phase {
            if let killTimer { loop.cancelTimer(killTimer) }
            next = then
        }
        if next == .retire || stopping {
            managed.phase = .retired
            logger.info("\(managed.key): worker \(pid) \(how)")
            finishStoppingIfDone()
        } else if next == .restart {
            startWorker(managed)
        } else {
            let explanation = worker.fatalMessage.map { "worker \(how): \($0)" } ?? "worker \(how)"
            managed.lastError = explanation
            logger.warning("\(managed.key): \(explanation); restarting")
            backOff(managed, uptime: worker.uptime, lastReport: worker.report)
        }
    }

    /// Backing off: the next worker starts after the backoff's delay.
    private func backOff(_ managed: ManagedInstance, uptime: Duration, lastReport: WorkerReport?) {
        let delay = managed.backoff.delay(afterRunningFor: uptime)
        let restartTimer = try? loop.scheduleTimer(name: "restart \(managed.key)", after: delay) { [unowned self, weak managed] in
            guard let managed, case .backingOff = managed.phase, !stopping else { return }
            startWorker(managed)
        }
        managed.phase = .backingOff(restartTimer: restartTimer, lastReport: lastReport)
    }

    static func describeExit(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        return "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGSEGV ? " (SIGSEGV)" : "")"
    }
}

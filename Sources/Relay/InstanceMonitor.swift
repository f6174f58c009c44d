import LinuxRuntime
import Logging

/// Re-checks the instance periodically, so the log (and the supervisor's status) tells
/// when it disappears, loses ss-enabled or comes back, and re-resolves the family after
/// a module reload (the family and group ids change then).
public final class InstanceMonitor {
    public enum Health: Equatable, Sendable, CustomStringConvertible {
        case running
        case sessionSyncDisabled
        case instanceProblem(InstanceProblem)
        case kernelUnreachable(String)

        public var description: String {
            switch self {
            case .running: return "running"
            case .sessionSyncDisabled: return "ss-enabled is false in the instance: the kernel sends and accepts no sessions"
            case let .instanceProblem(problem): return problem.description
            case let .kernelUnreachable(reason): return reason
            }
        }
    }

    public private(set) var health: Health
    /// Called after every change of `health`.
    public var onChange: ((Health) -> Void)?
    private let worker: SyncWorker
    private let logger: Logger
    public static let interval: Duration = .seconds(5)

    public init(worker: SyncWorker, initial: Health, logger: Logger) {
        self.worker = worker
        self.health = initial
        self.logger = logger
    }

    public func attach(to loop: EventLoop) throws {
        _ = try loop.scheduleTimer(name: "instance check", after: Self.interval, repeating: Self.interval) { [unowned self] in
            check()
        }
    }

    public func check() {
        let now = currentHealth()
        guard now != health else { return }
        if now == .running {
            logger.notice("instance '\(worker.configuration.instance)' is usable again: syncing")
        } else {
            logger.error("instance '\(worker.configuration.instance)': \(now)")
        }
        health = now
        onChange?(now)
    }

    private func currentHealth() -> Health {
        do {
            let report = try InstanceProbe(link: worker.link, requests: worker.requests)
                .probe(enableSessionSync: worker.configuration.enableSessionSync)
            return report.ssEnabled ? .running : .sessionSyncDisabled
        } catch let problem as InstanceProblem {
            return .instanceProblem(problem)
        } catch let error as KernelLinkError {
            if case let .kernel(_, kernelError) = error, kernelError.origin == .netlink {
                return rejoin()
            }
            return .kernelUnreachable(error.description)
        } catch {
            return .kernelUnreachable("\(error)")
        }
    }

    /// A netlink-level error on a Jool request: the family may have been re-registered.
    private func rejoin() -> Health {
        do {
            let family = try worker.link.resolveFamily()
            try worker.link.joinSessionGroup()
            worker.familyChanged(to: family)
            logger.notice("the Jool netlink family was registered again (module reloaded?): new family id \(family.id)")
            return .kernelUnreachable("re-subscribed to the reloaded Jool module; checking the instance again")
        } catch {
            return .kernelUnreachable(error.description)
        }
    }
}

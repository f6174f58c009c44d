import Configuration
import ControlProtocol
import Glibc
import LinuxRuntime

/// The control operations (docs/control-protocol.md).
extension Supervisor {
    public static let statsTimeout: Duration = .seconds(2)

    public func handle(_ request: ControlRequest, peer: PeerCredentials,
                       respond: @escaping (Result<JSONValue, ControlError>) -> Void) {
        do throws(ControlError) {
            switch try ControlOperation(request) {
            case .version:
                respond(.success(.object([.init("supervisor", .string(Self.version)),
                                          .init("protocol", .integer(controlProtocolVersion))])))
            case let .add(spec): try add(spec, peer: peer, respond)
            case let .remove(selector): try remove(selector, respond)
            case .list: respond(.success(.object([.init("instances", .array(sorted().map(\.statusRecord.json)))])))
            case let .status(selector): try status(selector, respond)
            case let .stats(selector): try stats(selector, respond)
            case let .advertise(selector, wait, rate): try advertise(selector, wait: wait, rate: rate, respond)
            case .follow:
                throw ControlError(.unknownOp, "'follow' is a streaming operation")
            }
        } catch {
            respond(.failure(error))
        }
    }

    private func sorted() -> [ManagedInstance] { instances.values.sorted { $0.key < $1.key } }

    // MARK: - add / remove

    private func add(_ spec: InstanceSpec, peer: PeerCredentials,
                     _ respond: @escaping (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let namespace = try NamespaceReference(spec.netns)
        let identity = try namespace.resolve(for: peer)
        if let existing = find(instance: spec.name, namespace: namespace, identity: identity) {
            throw ControlError(.instanceExists, "\(existing.key) is already synchronized")
        }
        try stateFile.checkUnchanged()
        let managed = ManagedInstance(spec: spec, namespace: namespace)
        instances[managed.key] = managed
        startWorker(managed)

        var answered = false
        let timeout = try? loop.scheduleTimer(name: "add \(managed.key)", after: Self.firstReportTimeout) { [unowned self] in
            guard !answered else { return }
            answered = true
            managed.firstReportWaiters = []
            commitAdd(managed, respond)
        }
        managed.firstReportWaiters.append { [unowned self] outcome in
            guard !answered else { return }
            answered = true
            if let timeout { loop.cancelTimer(timeout) }
            switch outcome {
            case .success:
                commitAdd(managed, respond)
            case let .failure(error):
                // Nothing half-added: forget it, let the worker go.
                retire(managed)
                instances[managed.key] = nil
                respond(.failure(ControlError(.invalidConfig, "\(managed.key) was not added: \(error.message)")))
            }
        }
    }

    private func commitAdd(_ managed: ManagedInstance, _ respond: (Result<JSONValue, ControlError>) -> Void) {
        do {
            try persist()
        } catch {
            retire(managed)
            instances[managed.key] = nil
            respond(.failure(error))
            return
        }
        logger.notice("added \(managed.key)")
        respond(.success(managed.statusRecord.json))
    }

    private func remove(_ selector: InstanceSelector, _ respond: (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let managed = try lookup(selector)
        try stateFile.checkUnchanged()
        retire(managed)
        instances[managed.key] = nil
        endFollowers(of: managed.key, reason: "removed")
        try persist()
        logger.notice("removed \(managed.key)")
        respond(.success(.object(identity(of: managed) + [.init("state", .string(InstanceState.stopped.rawValue))])))
    }

    // MARK: - Lookups

    /// The instance a request names.
    func lookup(_ selector: InstanceSelector) throws(ControlError) -> ManagedInstance {
        let namespace = try NamespaceReference(selector.netns)
        // Another spelling of a known namespace is recognised only in the forms anyone
        // may give: a lookup must not make root open a path of a member's choosing.
        let identity = namespace.mayBeNamedByMembers ? try? namespace.identity() : nil
        guard let managed = find(instance: selector.instance, namespace: namespace, identity: identity) else {
            throw ControlError(.noSuchInstance, "no instance '\(selector.instance)' in \(namespace)")
        }
        return managed
    }

    /// `instance` and `netns` as results carry them (`netns` even when empty).
    func identity(of managed: ManagedInstance) -> [JSONValue.Member] {
        [.init(InstanceSpec.Key.instance, .string(managed.spec.name)), .init(InstanceSpec.Key.netns, .string(managed.spec.netns))]
    }

    /// Same name, and the same namespace as given or as the same nsfs file. Each known
    /// namespace's file is looked at now, not as it was at add or load: it may have been
    /// missing when the state file was loaded (no identity recorded then), or re-created since.
    private func find(instance: String, namespace: NamespaceReference, identity: NamespaceIdentity?) -> ManagedInstance? {
        if let exact = instances[InstanceKey(netns: namespace.name, instance: instance)] { return exact }
        guard let identity else { return nil }
        return instances.values.first { $0.spec.name == instance && (try? $0.namespace.identity()) == identity }
    }

    private func selection(_ selector: InstanceSelector?) throws(ControlError) -> [ManagedInstance] {
        guard let selector else { return sorted() }
        return [try lookup(selector)]
    }

    // MARK: - status / stats / advertise

    private func status(_ selector: InstanceSelector?, _ respond: (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        if let selector {
            respond(.success(try lookup(selector).statusRecord.json))
        } else {
            respond(.success(.object([.init("instances", .array(sorted().map(\.statusRecord.json)))])))
        }
    }

    private func stats(_ selector: InstanceSelector?, _ respond: @escaping (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let targets = try selection(selector)
        var replies: [InstanceKey: WorkerMessage] = [:]
        var outstanding = 0
        var answered = false
        func finish() {
            guard !answered else { return }
            answered = true
            let entries = targets.map { managed -> JSONValue in
                var counters: JSONValue = .null, extra: JSONValue = .null
                if case let .stats(_, six, ours)? = replies[managed.key] {
                    counters = .object(six.map { JSONValue.Member($0.0, .integer(Int64(clamping: $0.1))) })
                    extra = .object(ours.map { JSONValue.Member($0.0, .integer(Int64(clamping: $0.1))) })
                }
                return .object(identity(of: managed) + [.init("state", .string(managed.state.rawValue)),
                                .init("counters", counters), .init("extra", extra)])
            }
            respond(.success(.object([.init("instances", .array(entries))])))
        }
        for managed in targets {
            guard let worker = managed.worker else { continue }
            let id = nextID()
            worker.pendingStats[id] = { reply in
                if let reply { replies[managed.key] = reply }
                outstanding -= 1
                if outstanding == 0 { finish() }
            }
            // Not sent: no reply to wait for (its counters are null, as for no worker).
            if send(.statsRequest(id: id), to: managed) { outstanding += 1 } else { worker.pendingStats[id] = nil }
        }
        if outstanding == 0 { return finish() }
        _ = try? loop.scheduleTimer(name: "stats", after: Self.statsTimeout) { finish() }
    }

    private func advertise(_ selector: InstanceSelector, wait: Bool, rate: Int?,
                           _ respond: @escaping (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let managed = try lookup(selector)
        guard let worker = managed.worker, worker.channel != nil, managed.state == .running else {
            throw ControlError(.notRunning, "\(managed.key) is \(managed.state.rawValue): its worker cannot advertise now")
        }
        guard worker.pendingAdvertise.isEmpty else {
            throw ControlError(.busy, "an advertisement of \(managed.key) is already in progress")
        }
        let id = nextID()
        let identity = identity(of: managed)
        worker.pendingAdvertise[id] = { [unowned self] outcome in
            switch outcome {
            case let .success(done):
                logger.notice("\(managed.key): advertised (\(done.method), \(done.sessions.map(String.init) ?? "?") sessions)")
                if wait {
                    respond(.success(.object(identity + [.init("method", .string(done.method)),
                                                         .init("sessions", done.sessions.map { .integer(Int64($0)) } ?? .null),
                                                         .init("seconds", .real(done.seconds)),
                                                         .init("rate", done.rate.map { .integer(Int64($0)) } ?? .null)])))
                }
            case let .failure(error):
                logger.error("\(managed.key): advertise failed: \(error)")
                if wait { respond(.failure(error)) }
            }
        }
        guard send(.advertiseRequest(id: id, rate: rate), to: managed) else {
            worker.pendingAdvertise[id] = nil
            throw ControlError(.notRunning, "\(managed.key): its worker cannot be reached (see the supervisor's log)")
        }
        if !wait { respond(.success(.object(identity + [.init("started", .bool(true))]))) }
    }

    func nextID() -> Int64 {
        defer { nextRequestID += 1 }
        return nextRequestID
    }
}

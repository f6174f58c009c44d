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
            switch request.op {
            case "version":
                respond(.success(.object([.init("supervisor", .string(Self.version)),
                                          .init("protocol", .integer(controlProtocolVersion))])))
            case "add": try add(request, peer: peer, respond)
            case "remove": try remove(request, respond)
            case "list": respond(.success(.object([.init("instances", .array(sorted().map(\.statusRecord.json)))])))
            case "status": try status(request, respond)
            case "stats": try stats(request, respond)
            case "advertise": try advertise(request, respond)
            default:
                throw ControlError(.unknownOp, "unknown operation '\(request.op)' (version, add, remove, list, status, stats, advertise, follow)")
            }
        } catch {
            respond(.failure(error))
        }
    }

    private func sorted() -> [ManagedInstance] { instances.values.sorted { $0.key < $1.key } }

    // MARK: - add / remove

    private func add(_ request: ControlRequest, peer: PeerCredentials,
                     _ respond: @escaping (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let definition = InstanceDefinition(instance: try request.string("instance"),
                                            netns: try request.optionalString("netns") ?? "",
                                            net: try request.object("net"), stats: try request.optionalObject("stats"),
                                            enableSessionSync: try request.optionalBool("enable_ss") ?? false,
                                            advertiseRate: try request.optionalAdvertiseRate("advertise_rate"))
        try definition.validate(source: "request:")
        let namespace = try NamespaceReference(definition.netns)
        let identity = try namespace.resolve(for: peer)
        if let existing = find(instance: definition.instance, namespace: namespace, identity: identity) {
            throw ControlError(.instanceExists, "\(existing.key) is already synchronized")
        }
        let managed = ManagedInstance(definition: definition, namespace: namespace)
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
                managed.retiring = true
                stopWorker(managed)
                instances[managed.key] = nil
                respond(.failure(ControlError(.invalidConfig, "\(managed.key) was not added: \(error.message)")))
            }
        }
    }

    private func commitAdd(_ managed: ManagedInstance, _ respond: (Result<JSONValue, ControlError>) -> Void) {
        do {
            try persist()
        } catch {
            managed.retiring = true
            stopWorker(managed)
            instances[managed.key] = nil
            respond(.failure(error))
            return
        }
        logger.notice("added \(managed.key)")
        respond(.success(managed.statusRecord.json))
    }

    private func remove(_ request: ControlRequest, _ respond: (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let managed = try lookup(request)
        managed.retiring = true
        stopWorker(managed)
        instances[managed.key] = nil
        endFollowers(of: managed.key, reason: "removed")
        try persist()
        logger.notice("removed \(managed.key)")
        respond(.success(.object([.init("instance", .string(managed.definition.instance)),
                                  .init("netns", .string(managed.definition.netns)),
                                  .init("state", .string(InstanceState.stopped.rawValue))])))
    }

    // MARK: - Lookups

    /// The instance a request names with "instance" and "netns".
    func lookup(_ request: ControlRequest) throws(ControlError) -> ManagedInstance {
        let name = try request.string("instance")
        let namespace = try NamespaceReference(try request.optionalString("netns") ?? "")
        // Another spelling of a known namespace is recognised only in the forms anyone
        // may give: a lookup must not make root open a path of a member's choosing.
        let identity = namespace.mayBeNamedByMembers ? try? namespace.identity() : nil
        guard let managed = find(instance: name, namespace: namespace, identity: identity) else {
            throw ControlError(.noSuchInstance, "no instance '\(name)' in \(namespace)")
        }
        return managed
    }

    /// Same name, and the same namespace as given or as the same nsfs file. Each known
    /// namespace's file is looked at now, not as it was at add or load: it may have been
    /// missing when the state file was loaded (no identity recorded then), or re-created since.
    private func find(instance: String, namespace: NamespaceReference, identity: NamespaceIdentity?) -> ManagedInstance? {
        if let exact = instances[InstanceKey(netns: namespace.name, instance: instance)] { return exact }
        guard let identity else { return nil }
        return instances.values.first { $0.definition.instance == instance && (try? $0.namespace.identity()) == identity }
    }

    private func selection(_ request: ControlRequest) throws(ControlError) -> [ManagedInstance] {
        try request.optionalString("instance") == nil ? sorted() : [try lookup(request)]
    }

    // MARK: - status / stats / advertise

    private func status(_ request: ControlRequest, _ respond: (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        if try request.optionalString("instance") != nil {
            respond(.success(try lookup(request).statusRecord.json))
        } else {
            respond(.success(.object([.init("instances", .array(sorted().map(\.statusRecord.json)))])))
        }
    }

    private func stats(_ request: ControlRequest, _ respond: @escaping (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let targets = try selection(request)
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
                return .object([.init("instance", .string(managed.definition.instance)),
                                .init("netns", .string(managed.definition.netns)),
                                .init("state", .string(managed.state.rawValue)),
                                .init("counters", counters), .init("extra", extra)])
            }
            respond(.success(.object([.init("instances", .array(entries))])))
        }
        for managed in targets where managed.control != nil {
            let id = nextID()
            outstanding += 1
            managed.pendingStats[id] = { reply in
                if let reply { replies[managed.key] = reply }
                outstanding -= 1
                if outstanding == 0 { finish() }
            }
            send(.statsRequest(id: id), to: managed)
        }
        if outstanding == 0 { return finish() }
        _ = try? loop.scheduleTimer(name: "stats", after: Self.statsTimeout) { finish() }
    }

    private func advertise(_ request: ControlRequest, _ respond: @escaping (Result<JSONValue, ControlError>) -> Void) throws(ControlError) {
        let managed = try lookup(request)
        let wait = try request.optionalBool("wait") ?? true
        let rate = try request.optionalAdvertiseRate("rate")
        guard managed.control != nil, managed.state == .running else {
            throw ControlError(.notRunning, "\(managed.key) is \(managed.state.rawValue): its worker cannot advertise now")
        }
        guard managed.pendingAdvertise.isEmpty else {
            throw ControlError(.busy, "an advertisement of \(managed.key) is already in progress")
        }
        let id = nextID()
        let identity: [JSONValue.Member] = [.init("instance", .string(managed.definition.instance)),
                                            .init("netns", .string(managed.definition.netns))]
        managed.pendingAdvertise[id] = { [unowned self] outcome in
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
        send(.advertiseRequest(id: id, rate: rate), to: managed)
        if !wait { respond(.success(.object(identity + [.init("started", .bool(true))]))) }
    }

    func nextID() -> Int64 {
        defer { nextRequestID += 1 }
        return nextRequestID
    }
}

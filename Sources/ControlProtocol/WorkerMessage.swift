import Configuration

/// The small messages between the supervisor and one worker process, one JSON object
/// per SOCK_SEQPACKET message on their socketpair (so no framing is needed).
public enum WorkerMessage: Equatable, Sendable {
    // Supervisor to worker.
    /// The first message: what to synchronize, where.
    case configure(WorkerSpec)
    case statsRequest(id: Int64)
    /// `rate`: sessions per second for this advertisement (nil: the instance's).
    case advertiseRequest(id: Int64, rate: Int?)
    case stop
    /// Start (true) or stop sending the sessions the worker relays (`sessions`): sent
    /// while the instance has followers.
    case follow(Bool)

    // Worker to supervisor.
    case status(WorkerReport)
    /// The worker cannot go on and exits. `configuration` is true when its configuration
    /// is at fault (nothing a restart can fix).
    case fatal(error: String, configuration: Bool)
    case stats(id: Int64, counters: [(String, UInt64)], extra: [(String, UInt64)])
    case advertised(id: Int64, Result<AdvertiseOutcome, ControlError>)
    /// The sessions of one payload, while following is on.
    case sessions(SessionBatch)

    public static func == (lhs: WorkerMessage, rhs: WorkerMessage) -> Bool { lhs.json == rhs.json }

    public var json: JSONValue {
        switch self {
        case let .configure(spec):
            return .object([.init("type", .string("configure"))] + spec.members)
        case let .statsRequest(id):
            return .object([.init("type", .string("stats")), .init("id", .integer(id))])
        case let .advertiseRequest(id, rate):
            return .object([.init("type", .string("advertise")), .init("id", .integer(id)),
                            .init("rate", rate.map { .integer(Int64($0)) } ?? .null)])
        case .stop:
            return .object([.init("type", .string("stop"))])
        case let .follow(on):
            return .object([.init("type", .string("follow")), .init("on", .bool(on))])
        case let .sessions(batch):
            return .object([.init("type", .string("sessions")), .init("origin", .string(batch.origin.rawValue)),
                            .init("lost", .integer(Int64(clamping: batch.lost))), .init("sessions", .array(batch.sessions))])
        case let .status(report):
            return .object([.init("type", .string("status"))] + report.members)
        case let .fatal(error, configuration):
            return .object([.init("type", .string("fatal")), .init("error", .string(error)),
                            .init("configuration", .bool(configuration))])
        case let .stats(id, counters, extra):
            return .object([.init("type", .string("stats-reply")), .init("id", .integer(id)),
                            .init("counters", Self.counterObject(counters)), .init("extra", Self.counterObject(extra))])
        case let .advertised(id, outcome):
            var members: [JSONValue.Member] = [.init("type", .string("advertise-reply")), .init("id", .integer(id))]
            switch outcome {
            case let .success(done): members += [.init("ok", .bool(true))] + done.members
            case let .failure(error): members += [.init("ok", .bool(false)), .init("code", .string(error.code.rawValue)),
                                                  .init("message", .string(error.message))]
            }
            return .object(members)
        }
    }

    public var encoded: [UInt8] { Array(json.serialized().utf8) }

    public static func decode(_ bytes: [UInt8]) -> WorkerMessage? {
        guard let document = try? JSONValue.parse(String(decoding: bytes, as: UTF8.self), path: "worker message"),
              let type = document["type"]?.stringValue else { return nil }
        switch type {
        case "configure": return (try? WorkerSpec(json: document)).map(WorkerMessage.configure)
        case "stats": return document["id"]?.integerValue.map { .statsRequest(id: $0) }
        case "advertise":
            return document["id"]?.integerValue.map { .advertiseRequest(id: $0, rate: document["rate"]?.integerValue.map { Int($0) }) }
        case "stop": return .stop
        case "follow": return document["on"]?.boolValue.map(WorkerMessage.follow)
        case "sessions":
            guard let origin = document["origin"]?.stringValue.flatMap(SessionOrigin.init(rawValue:)),
                  case let .array(sessions)? = document["sessions"] else { return nil }
            return .sessions(SessionBatch(origin: origin, sessions: sessions,
                                          lost: UInt64(clamping: document["lost"]?.integerValue ?? 0)))
        case "status": return WorkerReport(json: document).map(WorkerMessage.status)
        case "fatal":
            return .fatal(error: document["error"]?.stringValue ?? "unknown error",
                          configuration: document["configuration"]?.boolValue ?? false)
        case "stats-reply":
            guard let id = document["id"]?.integerValue else { return nil }
            return .stats(id: id, counters: counterPairs(document["counters"]), extra: counterPairs(document["extra"]))
        case "advertise-reply":
            guard let id = document["id"]?.integerValue else { return nil }
            if document["ok"]?.boolValue == true { return .advertised(id: id, .success(AdvertiseOutcome(json: document))) }
            let code = document["code"]?.stringValue.flatMap(ControlError.Code.init(rawValue:)) ?? .internal
            return .advertised(id: id, .failure(ControlError(code, document["message"]?.stringValue ?? "advertise failed")))
        default: return nil
        }
    }

    static func counterObject(_ pairs: [(String, UInt64)]) -> JSONValue {
        .object(pairs.map { JSONValue.Member($0.0, .integer(Int64(clamping: $0.1))) })
    }

    static func counterPairs(_ value: JSONValue?) -> [(String, UInt64)] {
        guard case let .object(members)? = value else { return [] }
        return members.compactMap { member in member.value.integerValue.map { (member.key, UInt64(clamping: $0)) } }
    }
}

/// What a worker is asked to synchronize: the instance, in the schema of the `add`
/// request and the state file, and the namespace file to enter.
public struct WorkerSpec: Equatable, Sendable {
    public var instance: InstanceSpec
    /// The namespace file to enter; "" = stay in the supervisor's namespace.
    public var netnsPath: String

    static let netnsPathKey = "netns_path"

    public init(instance: InstanceSpec, netnsPath: String) {
        self.instance = instance
        self.netnsPath = netnsPath
    }

    var members: [JSONValue.Member] { instance.members + [.init(Self.netnsPathKey, .string(netnsPath))] }

    /// Decodes a `configure` message with the instance schema's own decoder.
    init(json: JSONValue) throws(ControlError) {
        let name = json[InstanceSpec.Key.instance]?.stringValue ?? "?"
        let fields = try JSONFields(json, context: "instance '\(name)'", what: "the configuration")
        self.init(instance: try InstanceSpec(reading: fields, extraKeys: ["type", Self.netnsPathKey]),
                  netnsPath: try fields.string(Self.netnsPathKey))
    }
}

/// A worker's account of itself, sent whenever it changes.
public struct WorkerReport: Equatable, Sendable {
    public var state: InstanceState
    public var waitingFor: String?
    public var ssEnabled: Bool?
    public var kernelVersion: String?
    public var multicast: String?
    public var statsPort: UInt16?

    public init(state: InstanceState, waitingFor: String? = nil, ssEnabled: Bool? = nil, kernelVersion: String? = nil,
                multicast: String? = nil, statsPort: UInt16? = nil) {
        self.state = state
        self.waitingFor = waitingFor
        self.ssEnabled = ssEnabled
        self.kernelVersion = kernelVersion
        self.multicast = multicast
        self.statsPort = statsPort
    }

    var members: [JSONValue.Member] {
        [.init("state", .string(state.rawValue)), .init("waiting_for", waitingFor.map(JSONValue.string) ?? .null),
         .init("ss_enabled", ssEnabled.map(JSONValue.bool) ?? .null),
         .init("kernel_version", kernelVersion.map(JSONValue.string) ?? .null),
         .init("multicast", multicast.map(JSONValue.string) ?? .null),
         .init("stats_port", statsPort.map { JSONValue.integer(Int64($0)) } ?? .null)]
    }

    init?(json: JSONValue) {
        guard let state = json["state"]?.stringValue.flatMap(InstanceState.init(rawValue:)) else { return nil }
        self.init(state: state, waitingFor: json["waiting_for"]?.stringValue, ssEnabled: json["ss_enabled"]?.boolValue,
                  kernelVersion: json["kernel_version"]?.stringValue, multicast: json["multicast"]?.stringValue,
                  statsPort: json["stats_port"]?.integerValue.map { UInt16(clamping: $0) })
    }
}

/// How an advertisement went.
public struct AdvertiseOutcome: Equatable, Sendable {
    /// "kernel": JNLOP_JOOLD_ADVERTISE; "worker": the worker sent the table itself.
    public var method: String
    public var sessions: Int?
    public var seconds: Double
    /// "worker": the pace it kept, in sessions per second.
    public var rate: Int?

    public init(method: String, sessions: Int?, seconds: Double, rate: Int? = nil) {
        self.method = method
        self.sessions = sessions
        self.seconds = seconds
        self.rate = rate
    }

    var members: [JSONValue.Member] {
        [.init("method", .string(method)), .init("sessions", sessions.map { .integer(Int64($0)) } ?? .null),
         .init("seconds", .real(seconds)), .init("rate", rate.map { .integer(Int64($0)) } ?? .null)]
    }

    init(json: JSONValue) {
        self.init(method: json["method"]?.stringValue ?? "kernel", sessions: json["sessions"]?.integerValue.map { Int($0) },
                  seconds: json["seconds"]?.doubleValue ?? 0, rate: json["rate"]?.integerValue.map { Int($0) })
    }
}

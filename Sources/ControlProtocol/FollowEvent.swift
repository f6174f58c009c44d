import Configuration

/// The lines a `follow` connection receives after its response (docs/control-protocol.md).
public enum FollowEvent: Equatable, Sendable {
    /// One session an instance sent (`out`) or received (`in`); `time` is when the
    /// supervisor got it (seconds since the epoch; `time_ms` on the wire, in
    /// milliseconds, as JSON reals are written with ten significant digits here).
    case session(instance: String, netns: String, origin: SessionOrigin, time: Double, session: JSONValue)
    /// `count` sessions were not shown. `reason`: `follower-behind` (this connection's
    /// queue was full: the client does not read fast enough), `worker-channel-full`
    /// (the instance's worker could not hand them to the supervisor at once).
    case lost(count: UInt64, reason: String, instance: String?, netns: String?)
    /// The feed of an instance ends (`removed`, `supervisor-stopping`); the
    /// supervisor closes the connection after this line.
    case end(instance: String?, netns: String?, reason: String)

    public static let followerBehind = "follower-behind"
    public static let workerChannelFull = "worker-channel-full"

    public var json: JSONValue {
        switch self {
        case let .session(instance, netns, origin, time, session):
            return .object([.init("event", .string("session")), .init(InstanceSpec.Key.instance, .string(instance)),
                            .init(InstanceSpec.Key.netns, .string(netns)), .init("direction", .string(origin.direction)),
                            .init("origin", .string(origin.rawValue)), .init("time_ms", .integer(Int64((time * 1000).rounded()))),
                            .init("session", session)])
        case let .lost(count, reason, instance, netns):
            return .object([.init("event", .string("lost")), .init("count", .integer(Int64(clamping: count))),
                            .init("reason", .string(reason)), .init(InstanceSpec.Key.instance, instance.map(JSONValue.string) ?? .null),
                            .init(InstanceSpec.Key.netns, netns.map(JSONValue.string) ?? .null)])
        case let .end(instance, netns, reason):
            return .object([.init("event", .string("end")), .init(InstanceSpec.Key.instance, instance.map(JSONValue.string) ?? .null),
                            .init(InstanceSpec.Key.netns, netns.map(JSONValue.string) ?? .null), .init("reason", .string(reason))])
        }
    }

    /// One line, newline included.
    public var line: [UInt8] { Array((json.serialized() + "\n").utf8) }

    /// Reads an event line (the client side); nil for anything else.
    public init?(json: JSONValue) {
        switch json["event"]?.stringValue {
        case "session":
            guard let instance = json[InstanceSpec.Key.instance]?.stringValue, let netns = json[InstanceSpec.Key.netns]?.stringValue,
                  let origin = json["origin"]?.stringValue.flatMap(SessionOrigin.init(rawValue:)),
                  let session = json["session"], case .object = session else { return nil }
            self = .session(instance: instance, netns: netns, origin: origin, time: Double(json["time_ms"]?.integerValue ?? 0) / 1000,
                            session: session)
        case "lost":
            guard let count = json["count"]?.integerValue else { return nil }
            self = .lost(count: UInt64(clamping: count), reason: json["reason"]?.stringValue ?? "unknown",
                         instance: json[InstanceSpec.Key.instance]?.stringValue, netns: json[InstanceSpec.Key.netns]?.stringValue)
        case "end":
            self = .end(instance: json[InstanceSpec.Key.instance]?.stringValue, netns: json[InstanceSpec.Key.netns]?.stringValue,
                        reason: json["reason"]?.stringValue ?? "unknown")
        default:
            return nil
        }
    }
}

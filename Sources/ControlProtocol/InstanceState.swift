import Configuration

/// What an instance's worker is doing, as `list` and `status` report it.
public enum InstanceState: String, Equatable, Sendable, CaseIterable {
    /// Worker launched, no report yet.
    case starting
    /// Relaying sessions.
    case running
    /// A prerequisite is missing (namespace, module, instance, ss-enabled); retrying.
    case waiting
    /// The worker died; it is restarted after a delay.
    case backingOff = "backing-off"
    /// Removed, or the supervisor is stopping.
    case stopped
}

/// The status object of the control protocol (docs/control-protocol.md).
public struct InstanceStatusRecord: Equatable, Sendable {
    public var instance: String
    public var netns: String
    public var state: InstanceState
    public var pid: Int32?
    public var uptimeSeconds: Double?
    public var restarts: Int
    public var lastError: String?
    public var waitingFor: String?
    public var ssEnabled: Bool?
    public var kernelVersion: String?
    public var multicast: String?
    public var statsPort: UInt16?
    /// Sessions per second of the worker's own advertisements (the instance's setting).
    public var advertiseRate: Int

    public init(instance: String, netns: String, state: InstanceState, pid: Int32? = nil, uptimeSeconds: Double? = nil,
                restarts: Int = 0, lastError: String? = nil, waitingFor: String? = nil, ssEnabled: Bool? = nil,
                kernelVersion: String? = nil, multicast: String? = nil, statsPort: UInt16? = nil,
                advertiseRate: Int = AdvertiseRate.defaultValue) {
        self.instance = instance
        self.netns = netns
        self.state = state
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.restarts = restarts
        self.lastError = lastError
        self.waitingFor = waitingFor
        self.ssEnabled = ssEnabled
        self.kernelVersion = kernelVersion
        self.multicast = multicast
        self.statsPort = statsPort
        self.advertiseRate = advertiseRate
    }

    public var json: JSONValue {
        var members: [JSONValue.Member] = []
        func put(_ key: String, _ value: JSONValue?) { members.append(JSONValue.Member(key, value ?? .null)) }
        put(InstanceSpec.Key.instance, .string(instance))
        put(InstanceSpec.Key.netns, .string(netns))
        put("state", .string(state.rawValue))
        put("pid", pid.map { JSONValue.integer(Int64($0)) })
        put("uptime_seconds", uptimeSeconds.map { JSONValue.real(($0 * 10).rounded() / 10) })
        put("restarts", .integer(Int64(restarts)))
        put("last_error", lastError.map(JSONValue.string))
        put("waiting_for", waitingFor.map(JSONValue.string))
        put("ss_enabled", ssEnabled.map(JSONValue.bool))
        put("kernel_version", kernelVersion.map(JSONValue.string))
        put("multicast", multicast.map(JSONValue.string))
        put("stats_port", statsPort.map { JSONValue.integer(Int64($0)) })
        put(InstanceSpec.Key.advertiseRate, .integer(Int64(advertiseRate)))
        return .object(members)
    }

    /// Reads a status object (the client side); nil if it lacks the identifying fields.
    public init?(json: JSONValue) {
        guard let instance = json[InstanceSpec.Key.instance]?.stringValue, let netns = json[InstanceSpec.Key.netns]?.stringValue,
              let state = json["state"]?.stringValue.flatMap(InstanceState.init(rawValue:)) else { return nil }
        self.init(instance: instance, netns: netns, state: state,
                  pid: json["pid"]?.integerValue.map { Int32(clamping: $0) },
                  uptimeSeconds: json["uptime_seconds"]?.doubleValue,
                  restarts: Int(json["restarts"]?.integerValue ?? 0),
                  lastError: json["last_error"]?.stringValue,
                  waitingFor: json["waiting_for"]?.stringValue,
                  ssEnabled: json["ss_enabled"]?.boolValue,
                  kernelVersion: json["kernel_version"]?.stringValue,
                  multicast: json["multicast"]?.stringValue,
                  statsPort: json["stats_port"]?.integerValue.map { UInt16(clamping: $0) },
                  advertiseRate: json[InstanceSpec.Key.advertiseRate]?.integerValue.map { Int(clamping: $0) } ?? AdvertiseRate.defaultValue)
    }
}

import Configuration
import JoolWire

/// One instance as the operator describes it, in the one schema every holder of an
/// instance shares: the `add` request (docs/control-protocol.md), an entry of the
/// supervisor's state file, and the configuration a worker is sent. Its keys are spelled
/// here only, and it is decoded here only, strictly: a wrong JSON type, an unknown key
/// or a bad value is an error that names the key and what was expected.
public struct InstanceSpec: Equatable, Sendable {
    public enum Key {
        public static let instance = "instance"
        public static let netns = "netns"
        public static let net = "net"
        public static let stats = "stats"
        public static let enableSessionSync = "enable_ss"
        public static let advertiseRate = "advertise_rate"
        public static let all = [instance, netns, net, stats, enableSessionSync, advertiseRate]
    }

    /// The Jool instance name (`InstanceName`: what Jool accepts).
    public let name: String
    /// The network namespace as the operator named it; "" for the supervisor's own.
    public let netns: String
    /// The netsocket object, decoded; `netObject` as written (what the state file keeps).
    public let net: NetSocketConfig
    public let netObject: JSONValue
    /// The stats object, decoded and as written; nil: no stats server.
    public let stats: StatsSocketConfig?
    public let statsObject: JSONValue?
    /// The worker turns `ss-enabled` on when it finds it off.
    public let enableSessionSync: Bool
    /// Sessions per second of the worker's own advertisements; nil: `AdvertiseRate.defaultValue`.
    public let advertiseRate: Int?

    /// Checks everything that can be checked outside the instance's namespace: the name,
    /// the rate, and the configuration objects' keys, types and values (errors name
    /// `netPath` and `statsPath`, the files they were read from). Interfaces resolve in
    /// the worker.
    public init(name: String, netns: String = "", net: JSONValue, netPath: String, stats: JSONValue? = nil,
                statsPath: String = "stats", enableSessionSync: Bool = false, advertiseRate: Int? = nil) throws(ControlError) {
        do {
            try self.init(checking: name, netns: netns, net: net, netPath: netPath, stats: stats, statsPath: statsPath,
                          enableSessionSync: enableSessionSync, advertiseRate: advertiseRate)
        } catch {
            switch error {
            case let .control(refusal): throw refusal
            case let .configuration(_, problem): throw ControlError(.invalidConfig, problem.description)
            }
        }
    }

    /// Reads the schema's fields of an object: a request, a state-file entry, a worker's
    /// configuration. Keys outside the schema are refused unless in `extraKeys` (which the
    /// caller reads itself: a request's envelope, say).
    public init(reading fields: JSONFields, extraKeys: [String] = []) throws(ControlError) {
        try fields.refuseUnknown(extraKeys + Key.all)
        let name = try fields.string(Key.instance), netns = try fields.optionalString(Key.netns) ?? ""
        let net = try fields.object(Key.net), stats = try fields.optionalObject(Key.stats)
        let enableSessionSync = try fields.optionalBool(Key.enableSessionSync) ?? false
        let advertiseRate = try fields.optionalAdvertiseRate(Key.advertiseRate)
        do {
            try self.init(checking: name, netns: netns, net: net, netPath: Key.net, stats: stats, statsPath: Key.stats,
                          enableSessionSync: enableSessionSync, advertiseRate: advertiseRate)
        } catch {
            switch error {
            case let .control(refusal): throw fields.failure(refusal.code, refusal.message)
            case let .configuration(field, problem): throw fields.failure(.invalidConfig, Self.describe(problem, in: field))
            }
        }
    }

    /// A problem of the `net` or `stats` object as a field of a request or of the state
    /// file: `field 'net', key "ttl": expected an integer from 0 to 255, found 300`.
    public static func describe(_ problem: ConfigurationError, in field: String) -> String {
        "field '\(field)'" + (problem.key.map { ", key \"\($0)\"" } ?? "") + ": " + problem.message
    }

    private enum Refusal: Error {
        case control(ControlError)
        case configuration(field: String, ConfigurationError)
    }

    private init(checking name: String, netns: String, net: JSONValue, netPath: String, stats: JSONValue?, statsPath: String,
                 enableSessionSync: Bool, advertiseRate: Int?) throws(Refusal) {
        do {
            _ = try InstanceName(name)
        } catch {
            throw .control(ControlError(.invalidName, "instance name '\(name)': \(error)"))
        }
        if let advertiseRate, let problem = AdvertiseRate.problem(Int64(advertiseRate), field: "field '\(Key.advertiseRate)'") {
            throw .control(ControlError(.invalidValue, problem))
        }
        do {
            self.net = try NetSocketConfig.decode(net, path: netPath)
        } catch {
            throw .configuration(field: Key.net, error)
        }
        do {
            self.stats = try stats.map { object throws(ConfigurationError) in
                let config = try StatsSocketConfig.decode(object, path: statsPath)
                try Self.checkBindable(config)
                return config
            }
        } catch {
            throw .configuration(field: Key.stats, error)
        }
        self.name = name
        self.netns = netns
        netObject = net
        statsObject = stats
        self.enableSessionSync = enableSessionSync
        self.advertiseRate = advertiseRate
    }

    /// The fields, in the schema's order; `netns` and `stats` are left out when empty,
    /// `advertise_rate` when not set.
    public var members: [JSONValue.Member] {
        var members = [JSONValue.Member(Key.instance, .string(name))]
        if !netns.isEmpty { members.append(.init(Key.netns, .string(netns))) }
        members.append(.init(Key.net, netObject))
        if let statsObject { members.append(.init(Key.stats, statsObject)) }
        members.append(.init(Key.enableSessionSync, .bool(enableSessionSync)))
        if let advertiseRate { members.append(.init(Key.advertiseRate, .integer(Int64(advertiseRate)))) }
        return members
    }

    public static func == (lhs: InstanceSpec, rhs: InstanceSpec) -> Bool { lhs.members == rhs.members }

    /// The stats server binds an address literal (the supervisor resolves no host names:
    /// a name would be looked up in the worker, too late to refuse the `add`) and a port
    /// number or a service name of /etc/services.
    private static func checkBindable(_ config: StatsSocketConfig) throws(ConfigurationError) {
        _ = try config.resolvedPort()
        guard let address = config.address else { return }
        let text = address.value
        let scoped = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        let literal = IPv4Address(text) != nil
            || (IPv6Address(String(scoped[0])) != nil && (scoped.count == 1 || !scoped[1].isEmpty))
        guard literal else {
            throw ConfigurationError.at(address.origin, .invalidValue,
                                        "expected an IPv4 or IPv6 address to bind (such as \"::\" or \"127.0.0.1\"; host names are not resolved), found \"\(text)\"")
        }
    }
}

import Configuration
import ControlProtocol
import JoolWire

/// What the operator asked for one instance: everything the state file keeps.
public struct InstanceDefinition: Equatable, Sendable {
    public var instance: String
    public var netns: String
    /// The netsocket object (joold's keys).
    public var net: JSONValue
    /// The stats object, or nil for no stats server.
    public var stats: JSONValue?
    public var enableSessionSync: Bool
    /// Sessions per second of the worker's own advertisements; nil: `AdvertiseRate.defaultValue`.
    public var advertiseRate: Int?

    public init(instance: String, netns: String, net: JSONValue, stats: JSONValue?, enableSessionSync: Bool,
                advertiseRate: Int? = nil) {
        self.instance = instance
        self.netns = netns
        self.net = net
        self.stats = stats
        self.enableSessionSync = enableSessionSync
        self.advertiseRate = advertiseRate
    }

    public var key: InstanceKey { InstanceKey(netns: netns, instance: instance) }

    /// Checks everything that can be checked outside the namespace: the name, and the
    /// configuration's keys, types and values (interfaces resolve in the worker).
    public func validate(source: String) throws(ControlError) {
        do {
            _ = try InstanceName(instance)
        } catch {
            throw ControlError(.invalidName, "instance name '\(instance)': \(error)")
        }
        if let advertiseRate, let problem = AdvertiseRate.problem(Int64(advertiseRate), field: "\(source) advertise_rate") {
            throw ControlError(.invalidValue, problem)
        }
        do {
            _ = try NetSocketConfig.parse(net.serialized(), path: "\(source) net")
            if let stats {
                let config = try StatsSocketConfig.parse(stats.serialized(), path: "\(source) stats")
                _ = try config.resolvedPort()
            }
        } catch {
            throw ControlError(.invalidConfig, error.description)
        }
    }

    var json: JSONValue {
        .object([.init("instance", .string(instance)), .init("netns", .string(netns)), .init("net", net),
                 .init("stats", stats ?? .null), .init("enable_ss", .bool(enableSessionSync))]
                + (advertiseRate.map { [.init("advertise_rate", .integer(Int64($0)))] } ?? []))
    }

    init(json: JSONValue, source: String) throws(ControlError) {
        guard let instance = json["instance"]?.stringValue else {
            throw ControlError(.invalidConfig, "\(source): an entry lacks the string \"instance\"")
        }
        guard let net = json["net"], case .object = net else {
            throw ControlError(.invalidConfig, "\(source): instance '\(instance)' lacks the object \"net\"")
        }
        let stats = json["stats"].flatMap { $0.isNull ? nil : $0 }
        var rate: Int?
        if let value = json["advertise_rate"], !value.isNull {
            guard let number = value.integerValue else {
                throw ControlError(.invalidConfig, "\(source): instance '\(instance)': \"advertise_rate\" must be an integer, found \(value.kindDescription)")
            }
            rate = Int(clamping: number)
        }
        self.init(instance: instance, netns: json["netns"]?.stringValue ?? "", net: net, stats: stats,
                  enableSessionSync: json["enable_ss"]?.boolValue ?? false, advertiseRate: rate)
    }

    func workerSpec(netnsPath: String) -> WorkerSpec {
        WorkerSpec(instance: instance, netns: netns, netnsPath: netnsPath, net: net, stats: stats,
                   enableSessionSync: enableSessionSync, advertiseRate: advertiseRate)
    }
}

/// (namespace as given, instance name): how the registry and the state file key instances.
public struct InstanceKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var netns: String
    public var instance: String

    public static func < (lhs: InstanceKey, rhs: InstanceKey) -> Bool {
        (lhs.netns, lhs.instance) < (rhs.netns, rhs.instance)
    }

    public var description: String {
        netns.isEmpty ? "instance '\(instance)'" : "instance '\(instance)' in namespace '\(netns)'"
    }
}

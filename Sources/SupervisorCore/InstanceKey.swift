import ControlProtocol

/// (namespace as given, instance name): how the registry keys instances.
public struct InstanceKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var netns: String
    public var instance: String

    public init(netns: String, instance: String) {
        self.netns = netns
        self.instance = instance
    }

    public static func < (lhs: InstanceKey, rhs: InstanceKey) -> Bool {
        (lhs.netns, lhs.instance) < (rhs.netns, rhs.instance)
    }

    public var description: String {
        netns.isEmpty ? "instance '\(instance)'" : "instance '\(instance)' in namespace '\(netns)'"
    }
}

extension InstanceSpec {
    public var key: InstanceKey { InstanceKey(netns: netns, instance: name) }
}

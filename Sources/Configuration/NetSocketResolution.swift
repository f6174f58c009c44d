import Glibc
import JoolWire

extension NetSocketConfig {
    /// Resolves every name into `NetSocketSettings`; nil when no multicast address is
    /// configured (the network socket is disabled).
    public func resolve() throws(ConfigurationError) -> NetSocketSettings? {
        guard let address = multicastAddress else { return nil }
        let group = try MulticastGroup(parsing: address)
        let port = try multicastPort.map { config throws(ConfigurationError) in try config.value.resolve(origin: config.origin) }
            ?? Self.defaultPort
        let ttl = self.ttl ?? Configured(Self.defaultTTL, from: .builtInDefault(key: Key.ttl))
        guard (0...255).contains(ttl.value) else {
            throw .at(ttl.origin, .invalidValue, "expected a TTL from 0 to 255, found \(ttl.value)")
        }
        return NetSocketSettings(
            family: group.family, groupAddress: group.bytes, scopeID: group.scopeID, port: port,
            inInterface: try inInterface.map { config throws(ConfigurationError) in try group.interface(config) },
            outInterface: try outInterface.map { config throws(ConfigurationError) in try group.interface(config) },
            ttl: ttl.value, reuseAddress: reuseAddress?.value ?? true,
            display: group.family == .ipv4 ? "\(group.text):\(port)" : "[\(group.text)]:\(port)")
    }
}

/// The multicast group address, parsed and checked.
private struct MulticastGroup {
    let family: NetSocketSettings.Family
    let bytes: [UInt8]
    let scopeID: UInt32
    /// As configured (scope included), for display.
    let text: String

    init(parsing config: Configured<String>) throws(ConfigurationError) {
        let text = config.value
        self.text = text
        let parts = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        let expectation = "expected an IPv4 or IPv6 multicast address (e.g. 233.252.0.64 or ff08::db8:64:64)"
        if let v4 = IPv4Address(addressText) {
            guard parts.count == 1 else {
                throw .at(config.origin, .invalidValue, "\(expectation); a %scope is only valid for IPv6, found \"\(text)\"")
            }
            guard v4.isMulticast else {
                throw .at(config.origin, .invalidValue, "\(text) is not a multicast address (IPv4 multicast is 224.0.0.0/4)")
            }
            family = .ipv4
            bytes = v4.bytes
            scopeID = 0
        } else if let v6 = IPv6Address(addressText) {
            guard v6.isMulticast else {
                throw .at(config.origin, .invalidValue, "\(text) is not a multicast address (IPv6 multicast is ff00::/8)")
            }
            family = .ipv6
            bytes = v6.bytes
            if parts.count == 2 {
                let scope = String(parts[1])
                if let index = interfaceIndex(scope) {
                    scopeID = index
                } else if let number = UInt32(scope) {
                    scopeID = number
                } else {
                    throw .at(config.origin, .unresolvable, "scope of \"\(text)\": no interface named \"\(scope)\"")
                }
            } else {
                scopeID = 0
            }
        } else {
            throw .at(config.origin, .invalidValue, "\(expectation), found \"\(text)\"")
        }
    }

    /// IPv4 groups designate interfaces by one of their addresses; IPv6 groups by name.
    func interface(_ config: Configured<String>) throws(ConfigurationError) -> NetSocketSettings.Interface {
        let name = config.value
        switch family {
        case .ipv4:
            guard let address = IPv4Address(name) else {
                throw .at(config.origin, .invalidValue,
                          "expected an IPv4 address of the interface (with an IPv4 multicast group, interfaces are "
                          + "given by address, not by name), found \"\(name)\"")
            }
            return .ipv4Address(address.bytes)
        case .ipv6:
            guard let index = interfaceIndex(name) else {
                var message = "no interface named \"\(name)\" (with an IPv6 multicast group, interfaces are given by name)"
                if IPv4Address(name) != nil || IPv6Address(name) != nil {
                    message += "; an address was given, but a name such as \"eth0\" is expected"
                }
                throw .at(config.origin, .unresolvable, message)
            }
            return .index(index, name: name)
        }
    }
}

private func interfaceIndex(_ name: String) -> UInt32? {
    guard !name.isEmpty else { return nil }
    let index = if_nametoindex(name)
    return index == 0 ? nil : index
}

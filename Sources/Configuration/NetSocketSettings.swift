/// A fully resolved network-socket configuration: what the network link needs to
/// open its multicast socket, with every name (service, interface) already resolved.
/// Produced from the netsocket JSON and command-line flags by the configuration layer.
public struct NetSocketSettings: Equatable, Sendable {
    public enum Family: Sendable, Equatable { case ipv4, ipv6 }

    /// How an interface is designated: IPv4 uses an address of the interface,
    /// IPv6 uses the interface index (resolved from its name).
    public enum Interface: Equatable, Sendable {
        case ipv4Address([UInt8])          // 4 bytes, network order
        case index(UInt32, name: String)   // IPv6
    }

    public var family: Family
    /// 4 or 16 bytes, network order.
    public var groupAddress: [UInt8]
    /// IPv6 scope id for link-local groups (from "ff02::1%eth0"); 0 otherwise.
    public var scopeID: UInt32
    /// Host order.
    public var port: UInt16
    public var inInterface: Interface?
    public var outInterface: Interface?
    /// IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS, 0...255.
    public var ttl: Int
    public var reuseAddress: Bool
    /// Human form for logs, e.g. "[ff08::db8:64:64]:6464" or "233.252.0.64:6464".
    public var display: String

    public init(family: Family, groupAddress: [UInt8], scopeID: UInt32 = 0, port: UInt16,
                inInterface: Interface? = nil, outInterface: Interface? = nil,
                ttl: Int = 1, reuseAddress: Bool = true, display: String) {
        self.family = family
        self.groupAddress = groupAddress
        self.scopeID = scopeID
        self.port = port
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.ttl = ttl
        self.reuseAddress = reuseAddress
        self.display = display
    }
}

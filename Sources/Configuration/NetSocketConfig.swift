/// The netsocket JSON file as written (plus command-line overrides), before any
/// name is resolved. A missing "multicast address" disables the network socket.
public struct NetSocketConfig: Equatable, Sendable, ConfigFile {
    public enum Key {
        public static let multicastAddress = "multicast address"
        public static let multicastPort = "multicast port"
        public static let inInterface = "in interface"
        public static let outInterface = "out interface"
        public static let reuseAddress = "reuseaddr"
        public static let ttl = "ttl"
        public static let all = [multicastAddress, multicastPort, inInterface, outInterface, reuseAddress, ttl]
    }

    /// 4.1.15's default; 4.1.9 had none.
    public static let defaultPort: UInt16 = 6400
    public static let defaultTTL = 1

    public var multicastAddress: Configured<String>?
    public var multicastPort: Configured<PortSpec>?
    public var inInterface: Configured<String>?
    public var outInterface: Configured<String>?
    /// SO_REUSEADDR; on unless explicitly 0/false.
    public var reuseAddress: Configured<Bool>?
    public var ttl: Configured<Int>?

    public init(multicastAddress: Configured<String>? = nil, multicastPort: Configured<PortSpec>? = nil,
                inInterface: Configured<String>? = nil, outInterface: Configured<String>? = nil,
                reuseAddress: Configured<Bool>? = nil, ttl: Configured<Int>? = nil) {
        self.multicastAddress = multicastAddress
        self.multicastPort = multicastPort
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.reuseAddress = reuseAddress
        self.ttl = ttl
    }

    /// Whether a network socket is configured at all.
    public var isEnabled: Bool { multicastAddress != nil }

    package static var knownKeys: [String] { Key.all }

    package init(reading reader: ConfigObjectReader) throws(ConfigurationError) {
        self.init(multicastAddress: try reader.string(Key.multicastAddress),
                  multicastPort: try reader.port(Key.multicastPort),
                  inInterface: try reader.string(Key.inInterface),
                  outInterface: try reader.string(Key.outInterface),
                  reuseAddress: try reader.flag(Key.reuseAddress),
                  ttl: try reader.integer(Key.ttl, in: 0...255))
    }

    /// Command-line values replace file values.
    public func applying(_ overrides: NetSocketOverrides) throws(ConfigurationError) -> NetSocketConfig {
        typealias Flag = NetSocketOverrides.Option
        var result = self
        if let address = overrides.multicastAddress {
            result.multicastAddress = Configured(address, from: .option(Flag.multicastAddress))
        }
        if let port = overrides.multicastPort {
            let origin = ValueOrigin.option(Flag.multicastPort)
            result.multicastPort = Configured(try PortSpec(parsing: port, origin: origin), from: origin)
        }
        if let name = overrides.inInterface {
            result.inInterface = Configured(name, from: .option(Flag.inInterface))
        }
        if let name = overrides.outInterface {
            result.outInterface = Configured(name, from: .option(Flag.outInterface))
        }
        if let ttl = overrides.ttl {
            result.ttl = Configured(ttl, from: .option(Flag.ttl))
        }
        return result
    }
}

/// The stats JSON file: `{"address": "<addr>", "port": "<port>" or <port>}`.
/// Defaults are those of `jool session proxy`: [::]:6401.
public struct StatsSocketConfig: Equatable, Sendable, ConfigFile {
    public enum Key {
        public static let address = "address"
        public static let port = "port"
        public static let all = [address, port]
    }

    public static let defaultAddress = "::"
    public static let defaultPort: UInt16 = 6401

    public var address: Configured<String>?
    public var port: Configured<PortSpec>?

    public init(address: Configured<String>? = nil, port: Configured<PortSpec>? = nil) {
        self.address = address
        self.port = port
    }

    package static var knownKeys: [String] { Key.all }

    package init(reading reader: ConfigObjectReader) throws(ConfigurationError) {
        self.init(address: try reader.string(Key.address), port: try reader.port(Key.port))
    }

    /// Command-line values replace file values.
    public func applying(address: String? = nil, port: String? = nil,
                         addressOption: String = "--stats.addr",
                         portOption: String = "--stats.port") throws(ConfigurationError) -> StatsSocketConfig {
        var result = self
        if let address { result.address = Configured(address, from: .option(addressOption)) }
        if let port {
            let origin = ValueOrigin.option(portOption)
            result.port = Configured(try PortSpec(parsing: port, origin: origin), from: origin)
        }
        return result
    }

    /// The bind address (for getaddrinfo with AI_PASSIVE).
    public var resolvedAddress: String { address?.value ?? Self.defaultAddress }

    public func resolvedPort() throws(ConfigurationError) -> UInt16 {
        guard let port else { return Self.defaultPort }
        return try port.value.resolve(origin: port.origin)
    }
}

/// Network-socket values given on the command line; each replaces the file's value.
public struct NetSocketOverrides: Equatable, Sendable {
    /// Option names used in error messages (those of the joold documentation).
    public enum Option {
        public static let multicastAddress = "--net.mcast.addr"
        public static let multicastPort = "--net.mcast.port"
        public static let inInterface = "--net.dev.in"
        public static let outInterface = "--net.dev.out"
        public static let ttl = "--net.ttl"
    }

    public var multicastAddress: String?
    public var multicastPort: String?
    public var inInterface: String?
    public var outInterface: String?
    public var ttl: Int?

    public init(multicastAddress: String? = nil, multicastPort: String? = nil, inInterface: String? = nil,
                outInterface: String? = nil, ttl: Int? = nil) {
        self.multicastAddress = multicastAddress
        self.multicastPort = multicastPort
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.ttl = ttl
    }
}

import JoolWire

/// Everything one sync worker needs, resolved: which instance, where its peers are,
/// where to serve stats. Built by the `joold` command line from its files and flags,
/// and by the supervisor from a control request.
public struct WorkerConfiguration: Equatable, Sendable {
    /// The Jool NAT64 instance, in the worker's own network namespace.
    public var instance: InstanceName
    /// The multicast socket; nil disables the network side (sessions from the kernel
    /// are then printed to standard output as CSV lines).
    public var network: NetSocketSettings?
    /// The UDP stats server; nil: none.
    public var stats: StatsEndpoint?
    /// Turn `ss-enabled` on in the instance if it is off (opt-in).
    public var enableSessionSync: Bool

    public struct StatsEndpoint: Equatable, Sendable {
        /// Bind address; "::" also serves IPv4.
        public var address: String
        /// Port number or service name.
        public var port: String

        public init(address: String = StatsSocketConfig.defaultAddress, port: String) {
            self.address = address
            self.port = port
        }
    }

    public init(instance: InstanceName = .default, network: NetSocketSettings?,
                stats: StatsEndpoint? = nil, enableSessionSync: Bool = false) {
        self.instance = instance
        self.network = network
        self.stats = stats
        self.enableSessionSync = enableSessionSync
    }
}

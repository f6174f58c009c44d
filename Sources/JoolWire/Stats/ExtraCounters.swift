/// Counters this daemon keeps beyond the six of the real joold.
public struct ExtraCounters: Equatable, Sendable {
    /// Datagrams from the network dropped by the validator, per reason.
    public private(set) var rejectedDatagrams: [DatagramRejectReason: UInt64] = [:]
    /// Jool error replies and `NLMSG_ERROR`s received from the kernel.
    public var kernelErrors: UInt64 = 0
    /// ENOBUFS on a netlink socket: the kernel dropped multicasts for us.
    public var netlinkOverruns: UInt64 = 0
    public var truncatedNetlinkReceptions: UInt64 = 0
    /// Datagrams larger than the receive buffer (MSG_TRUNC).
    public var truncatedDatagrams: UInt64 = 0
    public var acksSent: UInt64 = 0
    /// Session multicasts received from the kernel (for any instance).
    public var kernelMessagesReceived: UInt64 = 0
    /// Kernel messages addressed to another instance of the namespace.
    public var kernelMessagesIgnored: UInt64 = 0
    /// Failed `sendto` (network) and failed sends to the kernel.
    public var sendFailures: UInt64 = 0

    public init() {}

    public mutating func countRejection(_ reason: DatagramRejectReason) {
        rejectedDatagrams[reason, default: 0] &+= 1
    }

    public func rejections(_ reason: DatagramRejectReason) -> UInt64 {
        rejectedDatagrams[reason] ?? 0
    }

    public var totalRejections: UInt64 {
        rejectedDatagrams.values.reduce(0, &+)
    }

    /// Every counter, in a stable order; one "rejected-<reason>" entry per reason.
    public var namedValues: [(name: String, value: UInt64)] {
        var values: [(name: String, value: UInt64)] = DatagramRejectReason.allCases.map {
            ("rejected-\($0.shortName)", rejections($0))
        }
        values += [
            ("kernel-errors", kernelErrors),
            ("netlink-overruns", netlinkOverruns),
            ("truncated-netlink", truncatedNetlinkReceptions),
            ("truncated-datagrams", truncatedDatagrams),
            ("acks-sent", acksSent),
            ("kernel-messages-received", kernelMessagesReceived),
            ("kernel-messages-ignored", kernelMessagesIgnored),
            ("send-failures", sendFailures),
        ]
        return values
    }
}

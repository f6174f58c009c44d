/// The six counters of joold's stats server, with the meaning Jool's
/// documentation gives them (docs/jool-kernel-protocol.md §13):
///
/// - `KERNEL_SENT_*`: session packets / bytes this daemon sent **to the kernel**
///   (`JOOLD_ADD` requests; bytes = container payload = UDP payload). They should
///   match the local instance's `JSTAT_JOOLD_PKT_RCVD` and `JSTAT_JOOLD_SSS_RCVD`
///   × record size.
/// - `NET_RCVD_*`: datagrams / bytes received from the network (all of them, also
///   the ones later rejected; those are counted again in `ExtraCounters`).
/// - `NET_SENT_*`: datagrams / bytes successfully sent to the network.
///
/// The 4.1.15 code instead bumps `KERNEL_SENT_*` for packets the kernel sent to the
/// daemon (docs/jool-kernel-protocol.md §14, item 6), which makes it equal to
/// `NET_SENT_*` in practice; the documented meaning is the useful one, so we follow the
/// documentation.
/// Values are 64-bit and wrap instead of trapping.
public struct JooldCounters: Equatable, Sendable {
    public var kernelSentPackets: UInt64 = 0
    public var kernelSentBytes: UInt64 = 0
    public var netReceivedPackets: UInt64 = 0
    public var netReceivedBytes: UInt64 = 0
    public var netSentPackets: UInt64 = 0
    public var netSentBytes: UInt64 = 0

    public init() {}

    /// A `JOOLD_ADD` carrying `bytes` of sessions went to the kernel.
    public mutating func countKernelAdd(bytes: Int) {
        kernelSentPackets &+= 1
        kernelSentBytes &+= UInt64(max(bytes, 0))
    }

    public mutating func countNetworkReceived(bytes: Int) {
        netReceivedPackets &+= 1
        netReceivedBytes &+= UInt64(max(bytes, 0))
    }

    public mutating func countNetworkSent(bytes: Int) {
        netSentPackets &+= 1
        netSentBytes &+= UInt64(max(bytes, 0))
    }

    /// Names and values in the order of the stats reply.
    public var namedValues: [(name: String, value: UInt64)] {
        [
            ("KERNEL_SENT_PKTS", kernelSentPackets),
            ("KERNEL_SENT_BYTES", kernelSentBytes),
            ("NET_RCVD_PKTS", netReceivedPackets),
            ("NET_RCVD_BYTES", netReceivedBytes),
            ("NET_SENT_PKTS", netSentPackets),
            ("NET_SENT_BYTES", netSentBytes),
        ]
    }

    /// The stats server's answer: exactly six `NAME,value\n` lines.
    public func statsReply() -> String {
        namedValues.map { "\($0.name),\($0.value)\n" }.joined()
    }
}

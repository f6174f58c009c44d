/// One NAT64 session as exchanged between joold peers.
/// src6 = the IPv6 client, dst6 = the IPv4 peer as seen from IPv6 (pool6 + dst4),
/// src4 = the pool4 mask of the client, dst4 = the IPv4 peer. For ICMP the ports
/// are ICMP identifiers.
public struct Session: Equatable, Hashable, Sendable {
    public enum TransportProtocol: UInt8, Equatable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case tcp = 0, udp = 1, icmp = 2
        /// As `l4proto_to_string` prints it.
        public var description: String {
            switch self {
            case .tcp: return "TCP"
            case .udp: return "UDP"
            case .icmp: return "ICMP"
            }
        }
    }

    public enum TCPState: UInt8, Equatable, Hashable, Sendable, CaseIterable {
        case established = 0, v6Init, v4Init, v4FinReceived, v6FinReceived, v4FinV6FinReceived, transitory
    }

    public enum TimerType: UInt8, Equatable, Hashable, Sendable, CaseIterable {
        case established = 0, transitory, syn4
    }

    /// An address and a port (for ICMP, the identifier).
    public struct Endpoint<Address: Hashable & Sendable>: Equatable, Hashable, Sendable {
        public var address: Address
        public var port: UInt16
        public init(address: Address, port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    public typealias IPv6Endpoint = Endpoint<IPv6Address>
    public typealias IPv4Endpoint = Endpoint<IPv4Address>

    public var proto: TransportProtocol
    /// ESTABLISHED (0) for UDP and ICMP.
    public var state: TCPState
    public var timer: TimerType
    public var src6: IPv6Endpoint
    /// Only F1 (and F2) carry it; F3 receivers rebuild it from their own pool6.
    public var dst6: IPv6Endpoint?
    public var src4: IPv4Endpoint
    public var dst4: IPv4Endpoint
    /// Milliseconds until the session would expire at the sender.
    public var expirationMilliseconds: UInt32

    public init(proto: TransportProtocol, state: TCPState = .established, timer: TimerType = .established,
                src6: IPv6Endpoint, dst6: IPv6Endpoint? = nil, src4: IPv4Endpoint, dst4: IPv4Endpoint,
                expirationMilliseconds: UInt32) {
        self.proto = proto
        self.state = state
        self.timer = timer
        self.src6 = src6
        self.dst6 = dst6
        self.src4 = src4
        self.dst4 = dst4
        self.expirationMilliseconds = expirationMilliseconds
    }
}

import Configuration
import JoolWire

/// A session as the live feed shows it (`jooldctl follow`, docs/control-protocol.md):
///
///     {"proto": "TCP", "state": "ESTABLISHED", "timer": "established",
///      "src6": "2001:db8::1#1024", "dst6": "64:ff9b::cb00:7107#443",
///      "src4": "192.0.2.1#1024", "dst4": "203.0.113.7#443", "expiration_ms": 1200000}
///
/// Transport addresses are written `address#port` as `jool session display` does; `dst6`
/// is null for the 4.1.13+ format, which does not carry it; `state` is null but for TCP.
public enum SessionJSON {
    public static func encode(_ session: Session) -> JSONValue {
        .object([
            .init("proto", .string(session.proto.description)),
            .init("state", session.proto == .tcp ? .string(stateName(session.state)) : .null),
            .init("timer", .string(timerName(session.timer))),
            .init("src6", .string(endpoint("\(session.src6.address)", session.src6.port))),
            .init("dst6", session.dst6.map { .string(endpoint("\($0.address)", $0.port)) } ?? .null),
            .init("src4", .string(endpoint("\(session.src4.address)", session.src4.port))),
            .init("dst4", .string(endpoint("\(session.dst4.address)", session.dst4.port))),
            .init("expiration_ms", .integer(Int64(session.expirationMilliseconds))),
        ])
    }

    /// Jool's names (`tcp_state_to_string` of the jool tool).
    public static func stateName(_ state: Session.TCPState) -> String {
        switch state {
        case .established: return "ESTABLISHED"
        case .v6Init: return "V6_INIT"
        case .v4Init: return "V4_INIT"
        case .v4FinReceived: return "V4_FIN_RCV"
        case .v6FinReceived: return "V6_FIN_RCV"
        case .v4FinV6FinReceived: return "V4_FIN_V6_FIN_RCV"
        case .transitory: return "TRANS"
        }
    }

    public static func timerName(_ timer: Session.TimerType) -> String {
        switch timer {
        case .established: return "established"
        case .transitory: return "transitory"
        case .syn4: return "syn4"
        }
    }

    private static func endpoint(_ address: String, _ port: UInt16) -> String { "\(address)#\(port)" }
}

/// Where a session of the feed was seen: the local kernel's packet relayed to the peers
/// and the worker's own advertisement go out; a peer's datagram handed to the kernel
/// comes in.
public enum SessionOrigin: String, Equatable, Sendable, CaseIterable {
    case kernel
    case advertise
    case peer

    /// "out" or "in".
    public var direction: String { self == .peer ? "in" : "out" }
}

/// One payload's sessions, from a worker to the supervisor, and how many sessions the
/// worker could not send since its previous batch (its channel was full).
public struct SessionBatch: Equatable, Sendable {
    public var origin: SessionOrigin
    public var sessions: [JSONValue]
    public var lost: UInt64

    public init(origin: SessionOrigin, sessions: [JSONValue], lost: UInt64 = 0) {
        self.origin = origin
        self.sessions = sessions
        self.lost = lost
    }
}

/// How a kernel serializes sessions in joold packets (= the UDP wire format).
public enum SessionFormat: String, Equatable, Sendable, CaseIterable, CustomStringConvertible {
    /// 4.1.0–4.1.11: nested attributes, 140 bytes per record.
    case f1
    /// 4.1.12: packed, 52 bytes per record.
    case f2
    /// 4.1.13–4.1.15: packed without dst6, 40 bytes per record.
    case f3

    public init(kernelRevision revision: UInt8) {
        switch revision {
        case ...11: self = .f1
        case 12: self = .f2
        default: self = .f3
        }
    }

    /// Record size on the wire, attribute header included.
    public var recordSize: Int {
        switch self {
        case .f1: return 140
        case .f2: return 52
        case .f3: return 40
        }
    }

    public var description: String {
        switch self {
        case .f1: return "F1 (Jool 4.1.0-4.1.11, 140-byte records)"
        case .f2: return "F2 (Jool 4.1.12, 52-byte records)"
        case .f3: return "F3 (Jool 4.1.13-4.1.15, 40-byte records)"
        }
    }
}

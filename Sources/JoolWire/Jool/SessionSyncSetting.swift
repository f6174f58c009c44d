/// One session-synchronization global for `JNLOP_GLOBAL_UPDATE`. The boolean ones
/// travel as u8, the others as u32 (`nat64_globals_policy`).
public enum SessionSyncSetting: Equatable, Sendable {
    case enabled(Bool)
    /// Ignored by 4.1.13+ kernels.
    case flushAsap(Bool)
    case flushDeadline(milliseconds: UInt32)
    case capacity(UInt32)
    /// A no-op since 4.1.11.
    case maxPayload(UInt32)
    /// 4.1.11+ only: a 4.1.9 kernel rejects the whole update.
    case maxSessionsPerPacket(UInt32)

    public var globalID: UInt16 {
        typealias G = JoolNetlink.GlobalID
        switch self {
        case .enabled: return G.ssEnabled
        case .flushAsap: return G.ssFlushAsap
        case .flushDeadline: return G.ssFlushDeadline
        case .capacity: return G.ssCapacity
        case .maxPayload: return G.ssMaxPayload
        case .maxSessionsPerPacket: return G.ssMaxSessionsPerPacket
        }
    }
}

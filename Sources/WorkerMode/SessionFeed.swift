import ControlProtocol
import JoolWire
import Relay

/// The worker's side of `jooldctl follow`: while the supervisor asks for it, each
/// payload the relay taps is decoded and sent to the supervisor as one `sessions`
/// message, without ever waiting. When the channel is full the sessions are dropped and
/// counted, and the count goes with the next message that gets through (or with
/// `reportLost`, which the worker calls periodically, so a count never waits for traffic).
final class SessionFeed {
    private let channel: WorkerChannel
    private let format: SessionFormat
    /// Sessions not sent since the last message that went through.
    private(set) var lost: UInt64 = 0
    /// Since the worker started, for the stats.
    private(set) var sent: UInt64 = 0
    private(set) var dropped: UInt64 = 0

    init(channel: WorkerChannel, format: SessionFormat) {
        self.channel = channel
        self.format = format
    }

    func publish(_ point: SyncWorker.TapPoint, _ bytes: UnsafeRawBufferPointer) {
        let payload = Array(bytes)
        let sessions: [Session]
        do {
            sessions = try SessionCodec.decode(payload, format: format)
        } catch {
            // Not decodable (a malformed kernel packet): shown as lost, not silently skipped.
            let count = UInt64(max(1, payload.count / format.recordSize))
            lost &+= count
            dropped &+= count
            return
        }
        guard !sessions.isEmpty else { return }
        let batch = SessionBatch(origin: Self.origin(point), sessions: sessions.map(SessionJSON.encode), lost: lost)
        do {
            try channel.sendWithoutWaiting(.sessions(batch))
            lost = 0
            sent &+= UInt64(sessions.count)
        } catch {
            // The channel is full (EAGAIN) or the supervisor is gone: dropped, counted.
            lost &+= UInt64(sessions.count)
            dropped &+= UInt64(sessions.count)
        }
    }

    /// Sends the pending count alone, if any (an empty batch).
    func reportLost() {
        guard lost > 0 else { return }
        do {
            try channel.sendWithoutWaiting(.sessions(SessionBatch(origin: .kernel, sessions: [], lost: lost)))
            lost = 0
        } catch {
            // Still full: the count waits for the next try.
        }
    }

    var namedValues: [(name: String, value: UInt64)] {
        [("follow-sessions-sent", sent), ("follow-sessions-dropped", dropped)]
    }

    static func origin(_ point: SyncWorker.TapPoint) -> SessionOrigin {
        switch point {
        case .fromKernel: return .kernel
        case .advertisement: return .advertise
        case .fromPeer: return .peer
        }
    }
}

import Configuration
import ControlProtocol

/// The handler's end of a streaming request (`follow`): after the response line, the
/// connection carries the lines given to `send` until the client goes away or `finish`.
/// Lines the client does not read in time are dropped and counted, never waited for;
/// the client then gets `lossReport(count)` once it has caught up.
///
/// Use it on the event loop's thread; after the connection closed it does nothing.
public final class ControlStream {
    weak var connection: ControlConnection?
    /// Called once when the connection ends (client gone, `finish` sent, server closed).
    public var onClose: (() -> Void)?
    /// The line telling the client how many sessions it lost.
    public var lossReport: (UInt64) -> [UInt8] = { count in
        Array((JSONValue.object([.init("event", .string("lost")), .init("count", .integer(Int64(clamping: count)))]).serialized() + "\n").utf8)
    }

    init(connection: ControlConnection) {
        self.connection = connection
    }

    public var isOpen: Bool { connection.map { !$0.closed } ?? false }

    /// Queues one line (newline included) standing for `sessions` sessions (what a loss
    /// report counts), or drops it when the client is too far behind.
    public func send(_ line: [UInt8], sessions: UInt64 = 1) {
        connection?.streamOffer(line, sessions: sessions)
    }

    /// Sends `line` (however full the queue) and closes the connection once it is out.
    public func finish(_ line: [UInt8]) {
        connection?.streamFinish(line)
    }

    func closed() {
        let callback = onClose
        onClose = nil
        callback?()
    }
}

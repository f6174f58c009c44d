import Configuration
import ControlProtocol

/// The supervisor logic behind the control socket.
///
/// `handle` runs on the event loop's thread, one request at a time per connection:
/// the connection's next request is read only after `respond` was called for this
/// one. `respond` may be called at once or later (an operation that waits for a
/// worker), but only on the loop's thread, and only the first call counts. Calling
/// it after the client disconnected, or after the server was closed, does nothing.
public protocol ControlHandler: AnyObject {
    func handle(_ request: ControlRequest, peer: PeerCredentials,
                respond: @escaping (Result<JSONValue, ControlError>) -> Void)

    /// A streaming request (`ControlRequest.streamingOperations`): returns the result of
    /// the response line, after which the connection carries what `stream` is given; or
    /// throws, and the connection answers the error and stays a normal one. Do not use
    /// `stream` before this returns.
    func openStream(_ request: ControlRequest, peer: PeerCredentials, stream: ControlStream) throws(ControlError) -> JSONValue
}

extension ControlHandler {
    public func openStream(_ request: ControlRequest, peer: PeerCredentials, stream: ControlStream) throws(ControlError) -> JSONValue {
        throw ControlError(.unknownOp, "unknown operation '\(request.op)'")
    }
}

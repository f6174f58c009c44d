/// jooldctl's exit statuses (documented in `jooldctl --help` and docs/jooldctl.md).
public enum JooldctlExitStatus: Int32, Equatable, Sendable, CaseIterable {
    /// The operation succeeded.
    case success = 0
    /// The supervisor refused the operation (its message and code are on stderr).
    case refused = 1
    /// A usage error or a bad configuration file; the supervisor was not contacted.
    case usage = 2
    /// The supervisor could not be reached (no socket, connection refused, permission denied).
    case unreachable = 3
    /// The supervisor's answer could not be read (protocol error, timeout, connection closed).
    case protocolError = 4
}

/// A failure that ends the command: what to print on stderr and the exit status.
public struct JooldctlFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: JooldctlExitStatus
    public var message: String

    public init(_ status: JooldctlExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}

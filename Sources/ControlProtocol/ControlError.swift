/// An error answered on the control socket: a stable code and a message for people.
public struct ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Equatable, Sendable, CaseIterable {
        case badRequest = "bad-request"
        case lineTooLong = "line-too-long"
        case unsupportedProtocol = "unsupported-protocol"
        case unknownOp = "unknown-op"
        case missingField = "missing-field"
        case wrongType = "wrong-type"
        case unknownField = "unknown-field"
        case invalidName = "invalid-name"
        case invalidConfig = "invalid-config"
        case invalidValue = "invalid-value"
        case noSuchNamespace = "no-such-namespace"
        case instanceExists = "instance-exists"
        case noSuchInstance = "no-such-instance"
        case notRunning = "not-running"
        case busy = "busy"
        case stateFileChanged = "state-file-changed"
        case kernelError = "kernel-error"
        case permissionDenied = "permission-denied"
        case `internal` = "internal"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) (\(code.rawValue))" }
}

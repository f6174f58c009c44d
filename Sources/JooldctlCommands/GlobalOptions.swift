import ArgumentParser

/// The options every subcommand takes.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("socket"), help: ArgumentHelp(
        "The supervisor's control socket (default: $\(Jooldctl.socketEnvironmentVariable), else \(Jooldctl.defaultSocketPath)).",
        valueName: "path"))
    public var socket: String?

    @Flag(name: .customLong("json"), help: "Print the supervisor's result object as JSON (one line), for scripts.")
    public var json = false

    @Option(name: .customLong("timeout"), help: ArgumentHelp(
        "Seconds to wait for the supervisor's answer (default: 10; 120 for advertise without --no-wait).",
        valueName: "seconds"))
    public var timeout: Double?

    public init() {}

    public func validate() throws {
        if let timeout, !(timeout.isFinite && timeout > 0) {
            throw ValidationError("--timeout must be a positive number of seconds, found \(timeout)")
        }
        if let socket, socket.isEmpty {
            throw ValidationError("--socket needs a path")
        }
    }

    /// The socket path: --socket, else $JOOLDCTL_SOCKET (when not empty), else the default.
    func socketPath(environment: [String: String]) -> String {
        if let socket { return socket }
        if let fromEnvironment = environment[Jooldctl.socketEnvironmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return Jooldctl.defaultSocketPath
    }
}

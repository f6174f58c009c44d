import ArgumentParser
import Configuration
import ControlProtocol
import LinuxRuntime

/// What one jooldctl run produced.
public struct JooldctlResult: Equatable, Sendable {
    public var exitCode: Int32
    public var standardOutput: String
    public var standardError: String

    public init(exitCode: Int32, standardOutput: String, standardError: String) {
        self.exitCode = exitCode
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// The jooldctl command line, runnable in-process (the executable is a thin wrapper).
public enum Jooldctl {
    public static let version = ProjectVersion.string
    public static let defaultSocketPath = ControlSocket.defaultPath
    public static let socketEnvironmentVariable = "JOOLDCTL_SOCKET"
    /// Seconds to wait for an answer, unless --timeout says otherwise.
    public static let defaultTimeout = 10.0
    /// `advertise` without --no-wait waits for the whole table to be sent.
    public static let defaultAdvertiseTimeout = 120.0

    /// Runs jooldctl with `arguments` (without the program name). Relative file names are
    /// relative to `currentDirectory`; `environment` supplies JOOLDCTL_SOCKET.
    /// `helpColumns`: the width of help texts (nil: the terminal's).
    /// `live`: where `follow` writes as it goes (the executable's stdout and stderr);
    /// without it, into the result like every other subcommand.
    public static func run(arguments: [String], environment: [String: String], currentDirectory: String,
                           helpColumns: Int? = 80, live: LiveOutput? = nil) -> JooldctlResult {
        let context = CommandContext(environment: environment, currentDirectory: currentDirectory, live: live)
        if let unknown = unknownHelpTopic(arguments) {
            let known = subcommandNames.joined(separator: ", ")
            context.printError("jooldctl: help: no subcommand '\(TerminalText.escaped(unknown))' (\(known))")
            return context.result(.usage)
        }
        let command: any ParsableCommand
        do {
            command = try JooldctlCommand.parseAsRoot(movingGlobalOptions(arguments))
        } catch {
            return argumentParserOutcome(error, context: context, columns: helpColumns)
        }
        if let control = command as? any ControlCommand {
            do {
                try control.execute(context)
                return context.result(.success)
            } catch let failure as JooldctlFailure {
                // Messages quote files and the supervisor: their control bytes are shown, not obeyed.
                context.printError("jooldctl: " + TerminalText.escaped(failure.message))
                return context.result(failure.status)
            } catch {
                return argumentParserOutcome(error, context: context, columns: helpColumns)
            }
        }
        if command is JooldctlCommand {
            context.printError("jooldctl: missing subcommand\n")
            context.printError(JooldctlCommand.helpMessage(columns: helpColumns))
            return context.result(.usage)
        }
        // ArgumentParser's own commands (`help`).
        do {
            var builtIn = command
            try builtIn.run()
            return context.result(.success)
        } catch {
            return argumentParserOutcome(error, context: context, columns: helpColumns)
        }
    }

    /// `jooldctl help NAME` for a NAME that is no subcommand: that NAME (ArgumentParser
    /// would print the general help and succeed).
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        guard arguments.count >= 2, arguments[0] == "help", !arguments[1].hasPrefix("-") else { return nil }
        return subcommandNames.contains(arguments[1]) ? nil : arguments[1]
    }

    static let subcommandNames = JooldctlCommand.configuration.subcommands.compactMap { $0.configuration.commandName }

    /// `jooldctl --socket P --json list` means `jooldctl list --socket P --json`: global
    /// options before the subcommand name are moved after it.
    static func movingGlobalOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--json" || argument.hasPrefix("--socket=") || argument.hasPrefix("--timeout=") {
                leading.append(argument)
                index += 1
            } else if (argument == "--socket" || argument == "--timeout") && index + 1 < arguments.count {
                leading += arguments[index...(index + 1)]
                index += 2
            } else {
                break
            }
        }
        guard !leading.isEmpty, index < arguments.count, !arguments[index].hasPrefix("-") else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }

    /// Help goes to stdout with status 0; any parsing or validation error to stderr with 2.
    private static func argumentParserOutcome(_ error: any Error, context: CommandContext, columns: Int?) -> JooldctlResult {
        let message = JooldctlCommand.fullMessage(for: error, columns: columns)
        if JooldctlCommand.exitCode(for: error) == .success {
            if !message.isEmpty { context.print(message) }
            return context.result(.success)
        }
        context.printError(message)
        return context.result(.usage)
    }
}

/// Writes text at once: `standardOutput` and `standardError` return false when
/// nobody reads any more (EPIPE).
public struct LiveOutput: Sendable {
    public var standardOutput: @Sendable (String) -> Bool
    public var standardError: @Sendable (String) -> Bool

    public init(standardOutput: @escaping @Sendable (String) -> Bool, standardError: @escaping @Sendable (String) -> Bool) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}

/// Output buffers, the environment, and the supervisor connection of one run.
final class CommandContext {
    let environment: [String: String]
    let currentDirectory: String
    let live: LiveOutput?
    private(set) var standardOutput = ""
    private(set) var standardError = ""

    init(environment: [String: String], currentDirectory: String, live: LiveOutput? = nil) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.live = live
    }

    /// Writes now when live, else buffers; false when stdout's reader is gone.
    func emit(output: String, error: String) -> Bool {
        guard let live else {
            standardOutput += output
            standardError += error
            return true
        }
        if !error.isEmpty { _ = live.standardError(error) }
        return output.isEmpty || live.standardOutput(output)
    }

    /// Appends `text` to stdout, with a newline unless it ends with one.
    func print(_ text: String) {
        standardOutput += text
        if !text.hasSuffix("\n") { standardOutput += "\n" }
    }

    func printError(_ text: String) {
        standardError += text
        if !text.hasSuffix("\n") { standardError += "\n" }
    }

    func result(_ status: JooldctlExitStatus) -> JooldctlResult {
        JooldctlResult(exitCode: status.rawValue, standardOutput: standardOutput, standardError: standardError)
    }

    /// Sends one request and returns its result object. A refusal prints nothing here but
    /// throws `.refused` with the supervisor's message and code; with --json the error
    /// object is also printed on stdout.
    func call(_ operation: ControlOperation, options: GlobalOptions,
              defaultTimeout: Double = Jooldctl.defaultTimeout) throws(JooldctlFailure) -> JSONValue {
        let id = JSONValue.integer(Int64.random(in: 1...Int64(Int32.max)))
        let request = ControlRequest(operation, id: id)
        let client = ControlClient(socketPath: options.socketPath(environment: environment),
                                   timeout: options.timeout ?? defaultTimeout)
        let response = try client.exchange(request)
        switch response.outcome {
        case let .success(result):
            return result
        case let .failure(error):
            if options.json {
                print(JSONValue.object([JSONValue.Member("error", .object([
                    JSONValue.Member("code", .string(error.code.rawValue)),
                    JSONValue.Member("message", .string(error.message)),
                ]))]).serialized())
            }
            throw JooldctlFailure(.refused, error.description)
        }
    }
}

/// A subcommand that runs against the supervisor.
protocol ControlCommand: ParsableCommand {
    func execute(_ context: CommandContext) throws
}

/// The root command: subcommands, the exit statuses and the environment in its help.
struct JooldctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jooldctl",
        abstract: "Control joold-supervisor: the session-synchronization workers of Jool's NAT64 instances.",
        discussion: """
            Every subcommand takes --socket PATH, --json and --timeout SECONDS, after
            the subcommand name or before it; see 'jooldctl help SUBCOMMAND'.

            ENVIRONMENT
              \(Jooldctl.socketEnvironmentVariable)  the control socket when --socket is not given
                               (default \(Jooldctl.defaultSocketPath))

            EXIT STATUS
              0  success
              1  the supervisor refused the operation (its message and code on stderr)
              2  usage or configuration-file error (the supervisor was not contacted)
              3  the supervisor is unreachable (no socket, connection refused,
                 permission denied)
              4  the supervisor's answer could not be read (protocol error, timeout)
            """,
        version: "jooldctl \(Jooldctl.version) (control protocol \(controlProtocolVersion))",
        subcommands: [AddCommand.self, RemoveCommand.self, ListCommand.self, StatusCommand.self,
                      AdvertiseCommand.self, StatsCommand.self, FollowCommand.self, VersionCommand.self])
}

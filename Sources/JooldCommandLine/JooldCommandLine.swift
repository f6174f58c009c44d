#if canImport(Glibc)
import Glibc
import LinuxRuntime
#endif
import Configuration
import JoolWire

/// The stock `joold` command line, both forms:
///
///     joold [NETSOCKET] [MODSOCKET] [PORT]                       (4.1.x man page)
///     joold [--mod=FILE] [--instance=STR] [--net=FILE] [--net.*] [--stats=FILE] [--stats.*]
///
/// turned into a `WorkerConfiguration` (files read, flags applied, every name
/// resolved), or help/version text, or a `JooldCommandLineError`.
public enum JooldCommandLine {
    public static let programName = "joold"
    public static let version = ProjectVersion.string
    /// The Jool kernel modules this daemon speaks to.
    public static let supportedKernels = "4.1.9 to 4.1.15"
    public static let versionText = """
        joold-supervisor \(version)
        Session synchronization daemon for NAT64 Jool \(supportedKernels) (kernel modules),
        a drop-in replacement for Jool's joold.

        """

    /// Default file names, looked for in the current directory when not named.
    public static let defaultNetSocketFile = "netsocket.json"
    public static let defaultModSocketFile = "modsocket.json"

    /// Parses `arguments` (argv without the program name, e.g.
    /// `Array(CommandLine.arguments.dropFirst())`). Relative file names, and the
    /// default files, are taken from `currentDirectory`.
    public static func parse(arguments: [String],
                             currentDirectory: String) throws(JooldCommandLineError) -> JooldCommand {
        if let document = try generatedDocument(arguments) { return .document(document) }
        if ArgumentScanner.requests(.help, in: arguments) { return .help(helpText) }
        if ArgumentScanner.requests(.version, in: arguments) { return .version(versionText) }
        let scanned = try ArgumentScanner.scan(arguments)
        return .run(try ConfigurationAssembler(scanned: scanned, currentDirectory: currentDirectory).assemble())
    }

    /// Like `parse`, but never throws: what the process should do, with the text
    /// to print and the exit status for the help, version and error cases.
    public static func evaluate(arguments: [String], currentDirectory: String) -> JooldCommandLineOutcome {
        do {
            switch try parse(arguments: arguments, currentDirectory: currentDirectory) {
            case let .run(launch): return .run(launch)
            case let .help(text), let .version(text), let .document(text):
                return .exit(status: 0, standardOutput: text, standardError: "")
            }
        } catch {
            return .exit(status: error.exitCode, standardOutput: "",
                         standardError: "\(programName): \(TerminalText.escaped(error.message, keepingLineBreaks: true))\n")
        }
    }

    /// The hidden command lines scripts/generate-docs uses, each only as the whole command
    /// line: `--generate-manual` (the generated part of joold(8)) and
    /// `--generate-completion-script SHELL` (swift-argument-parser's spelling, which
    /// joold-supervisor and jooldctl understand too). They are not options of the stock
    /// daemon, hence not in `OptionTable`, the help or the completions.
    static func generatedDocument(_ arguments: [String]) throws(JooldCommandLineError) -> String? {
        let completionFlag = "--generate-completion-script"
        guard let first = arguments.first else { return nil }
        if first == "--generate-manual" {
            guard arguments.count == 1 else { throw .usage("--generate-manual takes no other argument") }
            return manualPage
        }
        let shellName: String
        if first == completionFlag, arguments.count == 2 {
            shellName = arguments[1]
        } else if first.hasPrefix(completionFlag + "="), arguments.count == 1 {
            shellName = String(first.dropFirst(completionFlag.count + 1))
        } else if first == completionFlag || first.hasPrefix(completionFlag + "=") {
            throw .usage("\(completionFlag) takes one shell name and nothing else")
        } else {
            return nil
        }
        guard let shell = CompletionShell(rawValue: shellName) else {
            let shells = CompletionShell.allCases.map(\.rawValue).joined(separator: ", ")
            throw .usage("\(completionFlag): no shell '\(shellName)' (\(shells))")
        }
        return completionScript(for: shell)
    }

    /// The process's current directory (getcwd), "." if it cannot be read.
    public static func processCurrentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "." }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

/// What the command line asks for.
public enum JooldCommand: Equatable, Sendable {
    /// Start a worker.
    case run(JooldLaunch)
    /// Print this text on standard output and exit successfully.
    case help(String)
    case version(String)
    /// A man page or a completion script (the hidden `generatedDocument` command lines).
    case document(String)
}

/// `JooldCommandLine.evaluate`'s answer.
public enum JooldCommandLineOutcome: Equatable, Sendable {
    case run(JooldLaunch)
    /// Print the texts and exit with `status` (0 for help/version, 2 for errors).
    case exit(status: Int32, standardOutput: String, standardError: String)
}

/// A worker to start, and how the process around it should behave.
public struct JooldLaunch: Equatable, Sendable {
    public var configuration: WorkerConfiguration
    public var options: JooldProcessOptions
    /// The files actually read (resolved paths), for the startup log line; nil: none.
    public var netSocketFile: String?
    public var modSocketFile: String?
    public var statsFile: String?
    /// Things worth logging at startup that are not errors, e.g. file settings
    /// ignored because the network socket is disabled.
    public var warnings: [String]

    public init(configuration: WorkerConfiguration, options: JooldProcessOptions = JooldProcessOptions(),
                netSocketFile: String? = nil, modSocketFile: String? = nil, statsFile: String? = nil,
                warnings: [String] = []) {
        self.configuration = configuration
        self.options = options
        self.netSocketFile = netSocketFile
        self.modSocketFile = modSocketFile
        self.statsFile = statsFile
        self.warnings = warnings
    }
}

/// Process-level switches that are not part of the worker's configuration.
public struct JooldProcessOptions: Equatable, Sendable {
    public var logLevel: JooldLogLevel

    public init(logLevel: JooldLogLevel = .default) {
        self.logLevel = logLevel
    }
}

/// `--log-level`. The raw values are swift-log's `Logger.Level` raw values, so
/// `Logger.Level(rawValue: level.rawValue)!` converts (this target does not
/// depend on swift-log itself).
public enum JooldLogLevel: String, CaseIterable, Equatable, Sendable {
    case trace, debug, info, notice, warning, error, critical

    public static let `default` = JooldLogLevel.info
}

import Configuration

/// Why the command line cannot start a worker. Every case is the user's to fix;
/// the process should print `message` on standard error and exit with `exitCode`.
public enum JooldCommandLineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The shape of the command line is wrong: unknown option, missing value,
    /// too many positionals, a file named twice... The text names the argument.
    case usage(String)
    /// A file named on the command line does not exist.
    case missingFile(MissingFile)
    /// A file or an option holds a bad value; the Configuration module's error, unchanged.
    case configuration(ConfigurationError)

    public struct MissingFile: Equatable, Sendable {
        /// "netsocket", "modsocket" or "stats".
        public let role: String
        /// As written on the command line.
        public let path: String
        /// Where it was looked for (relative paths are taken from the current directory).
        public let resolvedPath: String
        /// "--net", "first positional argument (NETSOCKET)"...
        public let givenBy: String
        /// An extra hint, e.g. when the name looks like a port number.
        public let hint: String?
    }

    /// Exit status for every command-line error (the BSD EX_USAGE convention of
    /// argument parsers: 2), distinct from a runtime failure (1).
    public static let exitCode: Int32 = 2

    public var exitCode: Int32 { Self.exitCode }

    /// What to print (without the program-name prefix). Configuration errors are
    /// The Configuration module's description unchanged: "file 'net.json', key \"ttl\": expected ...".
    public var message: String {
        switch self {
        case let .usage(text):
            return "\(text)\nTry '\(JooldCommandLine.programName) --help' for more information."
        case let .missingFile(missing):
            var text = "\(missing.role) file '\(missing.path)' (given by \(missing.givenBy)) does not exist"
            if missing.resolvedPath != missing.path { text += " (looked for \(missing.resolvedPath))" }
            if let hint = missing.hint { text += "; \(hint)" }
            return text
        case let .configuration(error):
            return error.description
        }
    }

    public var description: String { message }

    /// The Configuration error, when the problem is in a value.
    public var configurationError: ConfigurationError? {
        if case let .configuration(error) = self { return error }
        return nil
    }
}

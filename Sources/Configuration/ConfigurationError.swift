/// A configuration problem, phrased for the person who wrote the file or the
/// command line: it names the file (or option), the key, and what was expected.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unreadable
        case syntax
        case duplicateKey
        case notAnObject
        case unknownKey
        case wrongType
        case invalidValue
        /// A name (service, interface) the system does not know.
        case unresolvable
    }

    public let kind: Kind
    /// Where the value came from: "file 'net.json', key \"ttl\"", "option --net.ttl"...
    public let location: String
    /// The file path, when the problem is in a file.
    public let file: String?
    /// The JSON key, when one is to blame.
    public let key: String?
    public let message: String

    public init(kind: Kind, location: String, file: String?, key: String?, message: String) {
        self.kind = kind
        self.location = location
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String { "\(location): \(message)" }

    package static func at(_ origin: ValueOrigin, _ kind: Kind, _ message: String) -> ConfigurationError {
        ConfigurationError(kind: kind, location: origin.description, file: origin.file, key: origin.key, message: message)
    }

    package static func inFile(_ path: String, _ kind: Kind, line: Int? = nil, column: Int? = nil,
                       key: String? = nil, _ message: String) -> ConfigurationError {
        var location = "file '\(path)'"
        if let line, line > 0 { location += ", line \(line)" + (column.map { $0 > 0 ? ", column \($0)" : "" } ?? "") }
        if let key { location += ", key \"\(key)\"" }
        return ConfigurationError(kind: kind, location: location, file: path, key: key, message: message)
    }
}

/// Where a configuration value came from, for error messages.
public enum ValueOrigin: Equatable, Hashable, Sendable, CustomStringConvertible {
    case file(path: String, key: String)
    case option(String)
    case builtInDefault(key: String)

    public var file: String? {
        if case let .file(path, _) = self { return path }
        return nil
    }

    public var key: String? {
        switch self {
        case let .file(_, key), let .builtInDefault(key): return key
        case .option: return nil
        }
    }

    public var description: String {
        switch self {
        case let .file(path, key): return "file '\(path)', key \"\(key)\""
        case let .option(name): return "option \(name)"
        case let .builtInDefault(key): return "default value of \"\(key)\""
        }
    }
}

/// A configuration value and where it came from.
public struct Configured<Value: Equatable & Sendable>: Equatable, Sendable {
    public var value: Value
    public var origin: ValueOrigin

    public init(_ value: Value, from origin: ValueOrigin) {
        self.value = value
        self.origin = origin
    }
}

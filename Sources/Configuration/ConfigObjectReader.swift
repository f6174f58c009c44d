/// Reads the keys of one configuration file's top-level object, rejecting
/// unknown keys and wrong types with messages that name the file and the key.
package struct ConfigObjectReader {
    let path: String
    private let members: [String: JSONValue]

    /// Loads `path` and checks that it is an object whose keys are all in `knownKeys`.
    static func load(path: String, knownKeys: [String]) throws(ConfigurationError) -> ConfigObjectReader {
        try ConfigObjectReader(path: path, document: JSONValue.load(path: path), knownKeys: knownKeys)
    }

    init(path: String, document: JSONValue, knownKeys: [String]) throws(ConfigurationError) {
        guard case let .object(members) = document else {
            throw .inFile(path, .notAnObject,
                          "the top level must be a JSON object ({ ... }), found \(document.kindDescription)")
        }
        for member in members where !knownKeys.contains(member.key) {
            var message = "unknown key \"\(member.key)\""
            if let suggestion = KeySuggestion.closest(to: member.key, among: knownKeys) {
                message += " (did you mean \"\(suggestion)\"?)"
            }
            message += "; known keys: " + knownKeys.map { "\"\($0)\"" }.joined(separator: ", ")
            throw .inFile(path, .unknownKey, key: member.key, message)
        }
        self.path = path
        self.members = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    func origin(_ key: String) -> ValueOrigin { .file(path: path, key: key) }

    func string(_ key: String) throws(ConfigurationError) -> Configured<String>? {
        guard let value = members[key] else { return nil }
        guard case let .string(text) = value else {
            throw .at(origin(key), .wrongType, "expected a string, found \(value.kindDescription)")
        }
        return Configured(text, from: origin(key))
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Configured<Int>? {
        guard let value = members[key] else { return nil }
        let expectation = "expected an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case let .integer(number) = value else {
            throw .at(origin(key), .wrongType, "\(expectation), found \(value.kindDescription)")
        }
        guard range.contains(number) else {
            throw .at(origin(key), .invalidValue, "\(expectation), found \(number)")
        }
        return Configured(Int(number), from: origin(key))
    }

    /// true/false, or the integers 0 and 1.
    func flag(_ key: String) throws(ConfigurationError) -> Configured<Bool>? {
        guard let value = members[key] else { return nil }
        let expectation = "expected true, false, 1 or 0"
        switch value {
        case let .bool(flag): return Configured(flag, from: origin(key))
        case let .integer(number) where number == 0 || number == 1:
            return Configured(number == 1, from: origin(key))
        case let .integer(number):
            throw .at(origin(key), .invalidValue, "\(expectation), found \(number)")
        default:
            throw .at(origin(key), .wrongType, "\(expectation), found \(value.kindDescription)")
        }
    }

    /// A port number or service name as a string, or a port number as an integer.
    func port(_ key: String) throws(ConfigurationError) -> Configured<PortSpec>? {
        guard let value = members[key] else { return nil }
        switch value {
        case let .string(text):
            return Configured(try PortSpec(parsing: text, origin: origin(key)), from: origin(key))
        case let .integer(number):
            guard (1...65535).contains(number) else {
                throw .at(origin(key), .invalidValue, "expected a port number from 1 to 65535, found \(number)")
            }
            return Configured(.number(UInt16(number)), from: origin(key))
        default:
            throw .at(origin(key), .wrongType,
                      "expected a port number (1-65535) or a service name, found \(value.kindDescription)")
        }
    }
}

/// "did you mean": the known key closest to a misspelt one, if any is close.
public enum KeySuggestion {
    package static func closest(to key: String, among known: [String]) -> String? {
        let normalized = normalize(key)
        if let exact = known.first(where: { normalize($0) == normalized }) { return exact }
        let scored = known.map { ($0, editDistance(Array(normalized), Array(normalize($0)))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, normalized.count / 4) else { return nil }
        return best.0
    }

    private static func normalize(_ key: String) -> String {
        String(key.lowercased().map { $0 == "_" || $0 == "-" || $0 == "." ? " " : $0 })
    }

    /// Levenshtein distance (also used for the command line's option names).
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

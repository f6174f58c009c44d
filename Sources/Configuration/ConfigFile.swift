/// One of joold's JSON configuration files (netsocket, modsocket, stats socket): a
/// top-level object with known keys. The three ways to read one (a file, JSON text, an
/// already parsed document such as an object inside a control request) share one path,
/// so they refuse the same things with the same words.
package protocol ConfigFile {
    /// Every key the object may hold.
    static var knownKeys: [String] { get }
    init(reading reader: ConfigObjectReader) throws(ConfigurationError)
}

extension ConfigFile {
    /// Reads the file at `path`.
    package static func load(path: String) throws(ConfigurationError) -> Self {
        try Self(reading: ConfigObjectReader.load(path: path, knownKeys: knownKeys))
    }

    /// Parses JSON text; `path` names it in error messages.
    package static func parse(_ text: String, path: String) throws(ConfigurationError) -> Self {
        try decode(JSONValue.parse(text, path: path), path: path)
    }

    /// Reads a parsed document; `path` names it in error messages.
    package static func decode(_ document: JSONValue, path: String) throws(ConfigurationError) -> Self {
        try Self(reading: ConfigObjectReader(path: path, document: document, knownKeys: knownKeys))
    }
}

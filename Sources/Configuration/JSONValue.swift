import CJansson
import CShim

/// A JSON document read with jansson and copied into Swift values, so that no
/// jansson reference outlives the load.
public indirect enum JSONValue: Equatable, Sendable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    case integer(Int64)
    case real(Double)
    case bool(Bool)
    case null

    public struct Member: Equatable, Sendable {
        public let key: String
        public let value: JSONValue
    }

    /// "a string", "an integer"... for messages.
    public var kindDescription: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer: return "an integer"
        case .real: return "a real number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The largest JSON file read.
    public static let maximumFileSize = 16 << 20

    /// Loads a file with duplicate keys rejected. Any JSON value is accepted at the
    /// top level, so that the caller can say "expected an object" itself. A directory or
    /// anything else but a regular file is refused as such.
    public static func load(path: String) throws(ConfigurationError) -> JSONValue {
        try parse(bytes: TextFile.read(path, limit: maximumFileSize) ?? [], path: path)
    }

    /// Parses text; `path` names it in error messages.
    public static func parse(_ text: String, path: String) throws(ConfigurationError) -> JSONValue {
        try parse(bytes: Array(text.utf8), path: path)
    }

    /// Parses UTF-8 bytes (a NUL byte or invalid UTF-8 is a syntax error); `path` names
    /// them in error messages.
    public static func parse(bytes: [UInt8], path: String) throws(ConfigurationError) -> JSONValue {
        var error = json_error_t()
        // An empty buffer may have no address; jansson refuses a null one as "wrong arguments".
        let root = bytes.isEmpty ? json_loads("", flags, &error) : bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { json_loadb($0.baseAddress, $0.count, flags, &error) }
        }
        return try finish(root, error, path: path)
    }

    private static let flags = Int(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

    private static func finish(_ root: UnsafeMutablePointer<json_t>?, _ error: json_error_t,
                               path: String) throws(ConfigurationError) -> JSONValue {
        guard let root else { throw describe(error, path: path) }
        defer { json_decref(root) }
        return JSONValue(copying: root)
    }

    private static func describe(_ error: json_error_t, path: String) -> ConfigurationError {
        var error = error
        let text = String(cString: cshim_json_error_text(&error))
        let line = Int(cshim_json_error_line(&error))
        let column = Int(cshim_json_error_column(&error))
        if cshim_json_error_is_duplicate_key(&error) != 0 {
            return .inFile(path, .duplicateKey, line: line, column: column,
                           "a key appears twice in the same object (\(text)); each key may appear only once")
        }
        if line < 1 {
            return .inFile(path, .unreadable, "cannot read the file: \(text)")
        }
        return .inFile(path, .syntax, line: line, column: column, "JSON syntax error: \(text)")
    }

    private init(copying json: UnsafeMutablePointer<json_t>) {
        switch cshim_json_typeof(json) {
        case JSON_OBJECT:
            var members: [Member] = []
            var iterator = json_object_iter(json)
            while let current = iterator {
                let key = String(cString: json_object_iter_key(current))
                members.append(Member(key: key, value: JSONValue(copying: json_object_iter_value(current))))
                iterator = json_object_iter_next(json, current)
            }
            self = .object(members)
        case JSON_ARRAY:
            self = .array((0..<json_array_size(json)).map { JSONValue(copying: json_array_get(json, $0)) })
        case JSON_STRING:
            let length = json_string_length(json)
            let bytes = UnsafeRawBufferPointer(start: json_string_value(json), count: length)
            self = .string(String(decoding: bytes, as: UTF8.self))
        case JSON_INTEGER:
            self = .integer(Int64(json_integer_value(json)))
        case JSON_REAL:
            self = .real(json_real_value(json))
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }
}

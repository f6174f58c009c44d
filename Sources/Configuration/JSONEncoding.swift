import CJansson
import Glibc

extension JSONValue {
    /// The value as JSON text written by jansson: compact on one line, or with `indent`
    /// spaces (1 to 31) per level for files people read.
    public func serialized(indent: Int = 0) -> String {
        let json = makeJansson()
        defer { json_decref(json) }
        // JSON_INDENT(n) and JSON_REAL_PRECISION(n) are function-like macros:
        // (n & 0x1F) and ((n & 0x1F) << 11). Ten significant digits print 1.1 as 1.1.
        let layout = indent > 0 ? (indent & 0x1F) : Int(JSON_COMPACT)
        let precision = (10 & 0x1F) << 11
        guard let text = json_dumps(json, layout | precision | Int(JSON_ENCODE_ANY)) else { return "null" }
        defer { free(text) }
        return String(cString: text)
    }

    /// A new jansson reference (the caller owns it).
    private func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case let .object(members):
            let object = json_object()!
            for member in members { json_object_set_new(object, member.key, member.value.makeJansson()) }
            return object
        case let .array(values):
            let array = json_array()!
            for value in values { json_array_append_new(array, value.makeJansson()) }
            return array
        case let .string(text):
            // json_stringn: explicit length, so an embedded NUL survives.
            return text.withCString { json_stringn($0, text.utf8.count) } ?? json_string("")!
        case let .integer(value):
            return json_integer(json_int_t(value))
        case let .real(value):
            return json_real(value.isFinite ? value : 0)
        case let .bool(value):
            return value ? json_true() : json_false()
        case .null:
            return json_null()
        }
    }

    // MARK: - Reading values conveniently

    /// The member named `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var stringValue: String? { if case let .string(value) = self { return value } else { return nil } }
    public var integerValue: Int64? { if case let .integer(value) = self { return value } else { return nil } }
    public var boolValue: Bool? { if case let .bool(value) = self { return value } else { return nil } }
    public var isNull: Bool { self == .null }

    /// A number as Double (integers included).
    public var doubleValue: Double? {
        switch self {
        case let .integer(value): return Double(value)
        case let .real(value): return value
        default: return nil
        }
    }

    /// Builds an object from pairs, leaving out nil values.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(pairs.compactMap { key, value in value.map { Member(key: key, value: $0) } })
    }
}

extension JSONValue.Member {
    public init(_ key: String, _ value: JSONValue) {
        self.init(key: key, value: value)
    }
}

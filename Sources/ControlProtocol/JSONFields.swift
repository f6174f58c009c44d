import Configuration

/// The members of one JSON object, read strictly: every key's JSON type is checked, a
/// null is the same as an absent key, and keys nobody reads are refused. Errors name the
/// key and what was expected, after `context` (e.g. "state file '/x', instance 2"; empty
/// for a control request).
public struct JSONFields: Sendable {
    public let context: String
    private let members: [JSONValue.Member]

    /// `value` must be an object; `what` names it when it is not ("the request").
    public init(_ value: JSONValue, context: String = "", what: String) throws(ControlError) {
        self.context = context
        guard case let .object(members) = value else {
            throw ControlError(.wrongType, Self.prefix(context) + "\(what) must be a JSON object, found \(value.kindDescription)")
        }
        self.members = members
    }

    /// The value of `key`, nil when absent or null.
    public subscript(key: String) -> JSONValue? {
        guard let value = members.first(where: { $0.key == key })?.value, !value.isNull else { return nil }
        return value
    }

    /// Refuses any key not in `known`, suggesting the closest known one.
    public func refuseUnknown(_ known: [String]) throws(ControlError) {
        for member in members where !known.contains(member.key) {
            var message = "unknown field '\(member.key)'"
            if let suggestion = KeySuggestion.closest(to: member.key, among: known) { message += " (did you mean '\(suggestion)'?)" }
            message += known.isEmpty ? "; this operation takes none" : "; known fields: " + known.joined(separator: ", ")
            throw failure(.unknownField, message)
        }
    }

    public func string(_ key: String) throws(ControlError) -> String {
        guard let text = try optionalString(key) else { throw missing(key) }
        return text
    }

    public func optionalString(_ key: String) throws(ControlError) -> String? {
        guard let value = self[key] else { return nil }
        guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
        return text
    }

    public func optionalBool(_ key: String) throws(ControlError) -> Bool? {
        guard let value = self[key] else { return nil }
        guard let flag = value.boolValue else { throw wrongType(key, "true or false", value) }
        return flag
    }

    public func integer(_ key: String) throws(ControlError) -> Int64 {
        guard let number = try optionalInteger(key) else { throw missing(key) }
        return number
    }

    public func optionalInteger(_ key: String) throws(ControlError) -> Int64? {
        guard let value = self[key] else { return nil }
        guard let number = value.integerValue else { throw wrongType(key, "an integer", value) }
        return number
    }

    public func object(_ key: String) throws(ControlError) -> JSONValue {
        guard let value = try optionalObject(key) else { throw missing(key) }
        return value
    }

    public func optionalObject(_ key: String) throws(ControlError) -> JSONValue? {
        guard let value = self[key] else { return nil }
        guard case .object = value else { throw wrongType(key, "an object", value) }
        return value
    }

    public func array(_ key: String) throws(ControlError) -> [JSONValue] {
        guard let value = self[key] else { throw missing(key) }
        guard case let .array(items) = value else { throw wrongType(key, "an array", value) }
        return items
    }

    /// An optional advertise rate (sessions per second), checked against `AdvertiseRate.range`.
    public func optionalAdvertiseRate(_ key: String) throws(ControlError) -> Int? {
        guard let rate = try optionalInteger(key) else { return nil }
        if let problem = AdvertiseRate.problem(rate, field: "field '\(key)'") { throw failure(.invalidValue, problem) }
        return Int(rate)
    }

    /// An error of this object: `message` after the context.
    public func failure(_ code: ControlError.Code, _ message: String) -> ControlError {
        ControlError(code, Self.prefix(context) + message)
    }

    private func missing(_ key: String) -> ControlError {
        failure(.missingField, "field '\(key)' is missing")
    }

    private func wrongType(_ key: String, _ expected: String, _ found: JSONValue) -> ControlError {
        failure(.wrongType, "field '\(key)' must be \(expected), found \(found.kindDescription)")
    }

    private static func prefix(_ context: String) -> String { context.isEmpty ? "" : context + ": " }
}

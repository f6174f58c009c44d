import Configuration

/// The protocol version this build speaks.
public let controlProtocolVersion: Int64 = 1

/// One request line: `{"protocol": 1, "id": ..., "op": "...", ...fields}`.
public struct ControlRequest: Equatable, Sendable {
    public var op: String
    public var id: JSONValue?
    public var body: JSONValue

    public init(op: String, id: JSONValue? = nil, fields: [JSONValue.Member] = []) {
        self.op = op
        self.id = id
        body = .object([JSONValue.Member("protocol", .integer(controlProtocolVersion)), JSONValue.Member("op", .string(op))]
                       + (id.map { [JSONValue.Member("id", $0)] } ?? []) + fields)
    }

    /// Parses one line. Errors carry the request's id when it could be read.
    public static func parse(_ line: String) -> Result<ControlRequest, ControlFailure> {
        let document: JSONValue
        do {
            document = try JSONValue.parse(line, path: "request")
        } catch {
            return .failure(ControlFailure(id: nil, error: ControlError(.badRequest, "the request is not valid JSON: \(error.message)")))
        }
        guard case .object = document else {
            return .failure(ControlFailure(id: nil, error: ControlError(.badRequest, "the request must be a JSON object, found \(document.kindDescription)")))
        }
        let id = document["id"]
        if let version = document["protocol"] {
            guard let number = version.integerValue else {
                return .failure(ControlFailure(id: id, error: ControlError(.wrongType, "field 'protocol' must be an integer")))
            }
            guard number == controlProtocolVersion else {
                return .failure(ControlFailure(id: id, error: ControlError(.unsupportedProtocol, "protocol \(number) is not supported; this supervisor speaks protocol \(controlProtocolVersion)")))
            }
        }
        guard let opValue = document["op"] else {
            return .failure(ControlFailure(id: id, error: ControlError(.missingField, "field 'op' is missing")))
        }
        guard let op = opValue.stringValue else {
            return .failure(ControlFailure(id: id, error: ControlError(.wrongType, "field 'op' must be a string")))
        }
        return .success(ControlRequest(op: op, id: id, body: document))
    }

    private init(op: String, id: JSONValue?, body: JSONValue) {
        self.op = op
        self.id = id
        self.body = body
    }

    public var line: String { body.serialized() }

    /// Operations whose response is followed by a stream of event lines on the same
    /// connection, until either side closes it.
    public static let streamingOperations: Set<String> = ["follow"]

    // MARK: - Typed fields

    public func string(_ key: String) throws(ControlError) -> String {
        guard let value = try optionalString(key) else { throw ControlError(.missingField, "field '\(key)' is missing") }
        return value
    }

    public func optionalString(_ key: String) throws(ControlError) -> String? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
        return text
    }

    public func optionalBool(_ key: String) throws(ControlError) -> Bool? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw wrongType(key, "true or false", value) }
        return flag
    }

    public func optionalInteger(_ key: String) throws(ControlError) -> Int64? {
        guard let value = body[key], !value.isNull else { return nil }
        guard let number = value.integerValue else { throw wrongType(key, "an integer", value) }
        return number
    }

    /// An optional advertise rate (sessions per second), checked against `AdvertiseRate.range`.
    public func optionalAdvertiseRate(_ key: String) throws(ControlError) -> Int? {
        guard let rate = try optionalInteger(key) else { return nil }
        if let problem = AdvertiseRate.problem(rate, field: "field '\(key)'") { throw ControlError(.invalidValue, problem) }
        return Int(rate)
    }

    public func object(_ key: String) throws(ControlError) -> JSONValue {
        guard let value = try optionalObject(key) else { throw ControlError(.missingField, "field '\(key)' is missing") }
        return value
    }

    public func optionalObject(_ key: String) throws(ControlError) -> JSONValue? {
        guard let value = body[key], !value.isNull else { return nil }
        guard case .object = value else { throw wrongType(key, "an object", value) }
        return value
    }

    private func wrongType(_ key: String, _ expected: String, _ found: JSONValue) -> ControlError {
        ControlError(.wrongType, "field '\(key)' must be \(expected), found \(found.kindDescription)")
    }
}

/// A request that failed before its operation ran, with the id to answer with.
public struct ControlFailure: Error, Equatable, Sendable {
    public var id: JSONValue?
    public var error: ControlError
}

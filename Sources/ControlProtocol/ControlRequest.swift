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
    public static let streamingOperations: Set<String> = [ControlOperation.Name.follow.rawValue]

    /// The fields every request may carry besides its operation's.
    public static let envelopeKeys = ["protocol", "id", "op"]

    /// The request of `operation`.
    public init(_ operation: ControlOperation, id: JSONValue? = nil) {
        self.init(op: operation.name.rawValue, id: id, fields: operation.fields)
    }
}

/// A request that failed before its operation ran, with the id to answer with.
public struct ControlFailure: Error, Equatable, Sendable {
    public var id: JSONValue?
    public var error: ControlError
}

import Configuration

/// One response line: `{"protocol": 1, "id": ..., "ok": true, "result": {...}}` or
/// `{"protocol": 1, "id": ..., "ok": false, "error": {"code": "...", "message": "..."}}`.
public struct ControlResponse: Equatable, Sendable {
    public var id: JSONValue?
    public var outcome: Result<JSONValue, ControlError>

    public init(id: JSONValue?, _ outcome: Result<JSONValue, ControlError>) {
        self.id = id
        self.outcome = outcome
    }

    public var line: String {
        var members = [JSONValue.Member("protocol", .integer(controlProtocolVersion))]
        if let id { members.append(JSONValue.Member("id", id)) }
        switch outcome {
        case let .success(result):
            members += [JSONValue.Member("ok", .bool(true)), JSONValue.Member("result", result)]
        case let .failure(error):
            members += [JSONValue.Member("ok", .bool(false)),
                        JSONValue.Member("error", .object([JSONValue.Member("code", .string(error.code.rawValue)),
                                                           JSONValue.Member("message", .string(error.message))]))]
        }
        return JSONValue.object(members).serialized()
    }

    /// Reads a response line (the client side).
    public static func parse(_ line: String) throws(ControlError) -> ControlResponse {
        let document: JSONValue
        do {
            document = try JSONValue.parse(line, path: "response")
        } catch {
            throw ControlError(.internal, "the supervisor sent an unreadable response: \(error.message)")
        }
        guard let ok = document["ok"]?.boolValue else {
            throw ControlError(.internal, "the supervisor's response lacks 'ok': \(line.prefix(200))")
        }
        if ok {
            return ControlResponse(id: document["id"], .success(document["result"] ?? .null))
        }
        let error = document["error"]
        let code = error?["code"]?.stringValue.flatMap(ControlError.Code.init(rawValue:)) ?? .internal
        let message = error?["message"]?.stringValue ?? "the supervisor refused without a message"
        return ControlResponse(id: document["id"], .failure(ControlError(code, message)))
    }
}

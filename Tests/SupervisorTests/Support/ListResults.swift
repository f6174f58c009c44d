import Configuration
import NetworkTestSupport

/// The instances of a `list` (or `status` without a name) result.
func instances(in result: JSONValue) throws -> [JSONValue] {
    guard let list = result["instances"]?.arrayValue else {
        throw TestFailure("no \"instances\" array in \(result.serialized())")
    }
    return list
}

/// The status object of (netns, instance) in a `list` result.
func entry(_ list: [JSONValue], _ instance: String, netns: String) -> JSONValue? {
    list.first { $0["instance"]?.stringValue == instance && $0["netns"]?.stringValue == netns }
}

/// The one status object of `jooldctl status NAME --json` (`{"instances": [one]}`).
func onlyInstance(_ result: CommandResult) throws -> JSONValue {
    let list = try instances(in: try result.json())
    guard list.count == 1 else { throw TestFailure("not one instance: \(result)") }
    return list[0]
}

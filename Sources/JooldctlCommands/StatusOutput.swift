import Configuration
import ControlProtocol

/// The table of `list` and `status`, or the result as JSON: `{"instances": [...]}` in
/// every case (`status NAME` too, although its result is one status object).
func printStatus(_ result: JSONValue, options: GlobalOptions, context: CommandContext) throws(JooldctlFailure) {
    let records = try statusRecords(result)
    if options.json {
        context.print((result["instances"] == nil ? JSONValue.object([.init("instances", .array([result]))]) : result).serialized())
    } else if records.isEmpty {
        context.print("(no instances)")
    } else {
        context.print(Formatting.statusTable(records))
    }
}

/// Reads status objects from a result: `{"instances": [...]}` or one status object.
func statusRecords(_ result: JSONValue) throws(JooldctlFailure) -> [InstanceStatusRecord] {
    let objects: [JSONValue]
    if case let .array(items)? = result["instances"] {
        objects = items
    } else if result[InstanceSpec.Key.instance] != nil {
        objects = [result]
    } else {
        throw JooldctlFailure(.protocolError, "the supervisor's result lacks 'instances': \(result.serialized().prefix(200))")
    }
    var records: [InstanceStatusRecord] = []
    for object in objects {
        guard let record = InstanceStatusRecord(json: object) else {
            throw JooldctlFailure(.protocolError, "the supervisor sent an unreadable status object: \(object.serialized().prefix(200))")
        }
        records.append(record)
    }
    return records
}

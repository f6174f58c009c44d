import ArgumentParser
import ControlProtocol
import Shared

/// The instance a subcommand acts on: `NAME` or `--instance NAME`, and `--netns NS`.
enum InstanceSelection {
    /// The name given either way (both: they must agree); nil when neither is given and
    /// none is required. Names are checked as the kernel would (1-15 printable ASCII).
    static func name(positional: String?, option: String?, required: Bool) throws -> String? {
        if let positional, let option, positional != option {
            throw ValidationError("the instance is given twice, as '\(positional)' and as --instance '\(option)'")
        }
        guard let name = positional ?? option else {
            if required { throw ValidationError("missing the instance name (NAME or --instance NAME)") }
            return nil
        }
        do {
            _ = try InstanceName(name)
        } catch {
            throw ValidationError(error.description)
        }
        return name
    }

    /// `--netns` only makes sense with an instance.
    static func checkNetns(_ netns: String?, name: String?) throws {
        if netns != nil && name == nil {
            throw ValidationError("--netns selects the namespace of an instance; give the instance NAME too")
        }
    }

    /// `instance` and, unless omitted or empty (the supervisor's own namespace), `netns`.
    static func fields(name: String, netns: String?) -> [JSONValue.Member] {
        var fields = [JSONValue.Member("instance", .string(name))]
        if let netns, !netns.isEmpty { fields.append(JSONValue.Member("netns", .string(netns))) }
        return fields
    }
}

/// Reads status objects from a result: `{"instances": [...]}` or one status object.
func statusRecords(_ result: JSONValue) throws(JooldctlFailure) -> [InstanceStatusRecord] {
    let objects: [JSONValue]
    if case let .array(items)? = result["instances"] {
        objects = items
    } else if result["instance"] != nil {
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

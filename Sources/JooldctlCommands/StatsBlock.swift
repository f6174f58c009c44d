import Configuration
import ControlProtocol

/// One instance of a `stats` result.
struct StatsBlock {
    let instance: String
    let netns: String
    let state: String
    let counters: JSONValue?
    let extra: JSONValue?

    init(_ json: JSONValue) throws(JooldctlFailure) {
        guard let instance = json[InstanceSpec.Key.instance]?.stringValue else {
            throw JooldctlFailure(.protocolError, "the supervisor sent stats without an instance name: \(json.serialized().prefix(200))")
        }
        self.instance = instance
        netns = json[InstanceSpec.Key.netns]?.stringValue ?? ""
        state = json["state"]?.stringValue ?? "unknown"
        counters = json["counters"].flatMap { $0.isNull ? nil : $0 }
        extra = json["extra"].flatMap { $0.isNull ? nil : $0 }
    }

    var noCounters: String {
        "no counters for \(Formatting.label(instance: instance, netns: netns)): its worker is not running (state \(state))"
    }

    /// The six lines of the stock stats reply (docs/jool-kernel-protocol.md §13), then the
    /// extra counters, each "NAME,value\n"; nil without counters.
    func lines() throws(JooldctlFailure) -> String? {
        guard let counters else { return nil }
        var text = ""
        for key in Formatting.stockCounters {
            guard let value = counters[key] else {
                throw JooldctlFailure(.protocolError, "the supervisor's counters for \(Formatting.label(instance: instance, netns: netns)) lack \(key)")
            }
            text += "\(key),\(Formatting.counterValue(value))\n"
        }
        if case let .object(members) = counters {
            for member in members where !Formatting.stockCounters.contains(member.key) {
                text += "\(member.key),\(Formatting.counterValue(member.value))\n"
            }
        }
        if case let .object(members)? = extra {
            for member in members {
                text += "\(member.key),\(Formatting.counterValue(member.value))\n"
            }
        }
        return text
    }
}

import ArgumentParser
import Shared

struct StatsCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the counters of one instance's worker, or of every instance's.",
        discussion: """
            With NAME: the six lines of joold's stats server (KERNEL_SENT_PKTS, \
            KERNEL_SENT_BYTES, NET_RCVD_PKTS, NET_RCVD_BYTES, NET_SENT_PKTS, NET_SENT_BYTES, \
            as NAME,value), then this project's own counters as name,value lines. Without \
            NAME: one such block per instance, each headed by '# instance NETNS/NAME' (NETNS \
            '-' for the supervisor's own namespace), blocks separated by an empty line. An \
            instance whose worker does not run has no counters: a '#' line says so (on \
            stderr when NAME is given).

            Example:
              jooldctl stats potato --netns blue
            """)

    @Argument(help: ArgumentHelp("The Jool instance name (same as --instance); omitted: every instance.", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("The Jool instance name.", valueName: "name"))
    var instance: String?

    @Option(help: ArgumentHelp("The instance's network namespace (default: the supervisor's own).", valueName: "ns"))
    var netns: String?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        let name = try InstanceSelection.name(positional: name, option: instance, required: false)
        try InstanceSelection.checkNetns(netns, name: name)
    }

    func execute(_ context: CommandContext) throws {
        let name = try InstanceSelection.name(positional: name, option: instance, required: false)
        let fields = name.map { InstanceSelection.fields(name: $0, netns: netns) } ?? []
        let result = try context.call("stats", fields, options: options)
        guard case let .array(instances)? = result["instances"] else {
            throw JooldctlFailure(.protocolError, "the supervisor's stats result lacks 'instances': \(result.serialized().prefix(200))")
        }
        if options.json {
            context.print(result.serialized())
            return
        }
        if name != nil {
            guard let only = instances.first else {
                throw JooldctlFailure(.protocolError, "the supervisor's stats result holds no instance")
            }
            let block = try StatsBlock(only)
            if let lines = try block.lines() {
                context.print(lines)
            } else {
                context.printError("jooldctl: \(block.noCounters)")
            }
            return
        }
        if instances.isEmpty {
            context.print("# no instances")
            return
        }
        var blocks: [String] = []
        for item in instances {
            let block = try StatsBlock(item)
            var text = "# instance \(Formatting.netns(block.netns))/\(block.instance)\n"
            text += try block.lines() ?? "# \(block.noCounters)\n"
            blocks.append(text)
        }
        context.print(blocks.joined(separator: "\n"))
    }
}

/// One instance of a `stats` result.
struct StatsBlock {
    let instance: String
    let netns: String
    let state: String
    let counters: JSONValue?
    let extra: JSONValue?

    init(_ json: JSONValue) throws(JooldctlFailure) {
        guard let instance = json["instance"]?.stringValue else {
            throw JooldctlFailure(.protocolError, "the supervisor sent stats without an instance name: \(json.serialized().prefix(200))")
        }
        self.instance = instance
        netns = json["netns"]?.stringValue ?? ""
        state = json["state"]?.stringValue ?? "unknown"
        counters = json["counters"].flatMap { $0.isNull ? nil : $0 }
        extra = json["extra"].flatMap { $0.isNull ? nil : $0 }
    }

    var noCounters: String {
        "no counters for \(Formatting.label(instance: instance, netns: netns)): its worker is not running (state \(state))"
    }

    /// The six seed lines then the extra counters, each "NAME,value\n"; nil without counters.
    func lines() throws(JooldctlFailure) -> String? {
        guard let counters else { return nil }
        var text = ""
        for key in Formatting.seedCounters {
            guard let value = counters[key] else {
                throw JooldctlFailure(.protocolError, "the supervisor's counters for \(Formatting.label(instance: instance, netns: netns)) lack \(key)")
            }
            text += "\(key),\(Formatting.counterValue(value))\n"
        }
        if case let .object(members) = counters {
            for member in members where !Formatting.seedCounters.contains(member.key) {
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

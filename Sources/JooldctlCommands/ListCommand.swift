import ArgumentParser
import Shared

struct ListCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every instance and the state of its worker.",
        discussion: """
            NETNS '-' is the supervisor's own namespace; DETAIL is what a waiting instance \
            waits for, else the last error.

            Example:
              jooldctl list
            """)

    @OptionGroup var options: GlobalOptions

    func execute(_ context: CommandContext) throws {
        let result = try context.call("list", options: options)
        try printStatus(result, options: options, context: context)
    }
}

struct StatusCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state of one instance, or of every instance.",
        discussion: """
            Example:
              jooldctl status potato --netns blue
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
        let result = try context.call("status", fields, options: options)
        try printStatus(result, options: options, context: context)
    }
}

/// The table of `list` and `status`, or the result as JSON.
func printStatus(_ result: JSONValue, options: GlobalOptions, context: CommandContext) throws(JooldctlFailure) {
    let records = try statusRecords(result)
    if options.json {
        context.print(result.serialized())
    } else if records.isEmpty {
        context.print("(no instances)")
    } else {
        context.print(Formatting.statusTable(records))
    }
}

import ArgumentParser
import Shared

struct RemoveCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Stop an instance's worker and forget the instance.",
        discussion: """
            Example:
              jooldctl remove potato --netns blue
            """)

    @Argument(help: ArgumentHelp("The Jool instance name (same as --instance).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("The Jool instance name.", valueName: "name"))
    var instance: String?

    @Option(help: ArgumentHelp("The instance's network namespace (default: the supervisor's own).", valueName: "ns"))
    var netns: String?

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        _ = try InstanceSelection.name(positional: name, option: instance, required: true)
    }

    func execute(_ context: CommandContext) throws {
        let name = try InstanceSelection.name(positional: name, option: instance, required: true)!
        let result = try context.call("remove", InstanceSelection.fields(name: name, netns: netns), options: options)
        if options.json {
            context.print(result.serialized())
        } else {
            let instance = result["instance"]?.stringValue ?? name
            let netns = result["netns"]?.stringValue ?? (self.netns ?? "")
            context.print("removed \(Formatting.label(instance: instance, netns: netns))")
        }
    }
}

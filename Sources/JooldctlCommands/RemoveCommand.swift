import ArgumentParser
import ControlProtocol

struct RemoveCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Stop an instance's worker and forget the instance.",
        discussion: """
            Example:
              jooldctl remove potato --netns blue
            """)

    @OptionGroup var target: RequiredInstance

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        try target.check()
    }

    func execute(_ context: CommandContext) throws {
        let name = try target.selectedName()
        let result = try context.call(.remove(try target.selector()), options: options)
        if options.json {
            context.print(result.serialized())
        } else {
            let instance = result[InstanceSpec.Key.instance]?.stringValue ?? name
            let netns = result[InstanceSpec.Key.netns]?.stringValue ?? (target.netns ?? "")
            context.print("removed \(Formatting.label(instance: instance, netns: netns))")
        }
    }
}

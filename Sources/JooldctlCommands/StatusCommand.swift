import ArgumentParser

struct StatusCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the state of one instance, or of every instance.",
        discussion: """
            Example:
              jooldctl status potato --netns blue
            """)

    @OptionGroup var target: OptionalInstance

    @OptionGroup var options: GlobalOptions

    func validate() throws {
        try target.check()
    }

    func execute(_ context: CommandContext) throws {
        let result = try context.call(.status(try target.selector()), options: options)
        try printStatus(result, options: options, context: context)
    }
}

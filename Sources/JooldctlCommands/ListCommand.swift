import ArgumentParser

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
        let result = try context.call(.list, options: options)
        try printStatus(result, options: options, context: context)
    }
}

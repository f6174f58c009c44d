import ArgumentParser
import Configuration
import ControlProtocol

struct VersionCommand: ControlCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print jooldctl's version and the supervisor's.",
        discussion: """
            jooldctl's own version is printed even when the supervisor cannot be reached.

            Example:
              jooldctl version
            """)

    @OptionGroup var options: GlobalOptions

    func execute(_ context: CommandContext) throws {
        if !options.json {
            context.print("jooldctl \(Jooldctl.version) (control protocol \(controlProtocolVersion))")
        }
        let result = try context.call(.version, options: options)
        if options.json {
            var members = [JSONValue.Member("jooldctl", .string(Jooldctl.version)),
                           JSONValue.Member("jooldctl_protocol", .integer(controlProtocolVersion))]
            if case let .object(supervisor) = result { members += supervisor }
            context.print(JSONValue.object(members).serialized())
            return
        }
        let version = result["supervisor"].map { $0.stringValue ?? $0.serialized() } ?? "unknown"
        let protocolText = result["protocol"].map { Formatting.counterValue($0) } ?? "unknown"
        context.print("joold-supervisor \(version) (control protocol \(protocolText))")
    }
}

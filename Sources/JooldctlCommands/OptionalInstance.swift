import ArgumentParser
import ControlProtocol
import Configuration

/// An instance, optional: `NAME` or `--instance NAME`, and `--netns NS` (only with a
/// name); omitted, the subcommand acts on every instance.
///
/// Its checks are in `check()`, not in `validate()`, for the reason given at
/// `RequiredInstance`.
struct OptionalInstance: ParsableArguments {
    @Argument(help: ArgumentHelp("The Jool instance name (same as --instance); omitted: every instance.", valueName: "name"))
    var name: String?

    @OptionGroup var options: InstanceOptions

    /// Usage errors: two different names, a name the kernel would refuse, --netns alone.
    func check() throws {
        let name = try selectedName()
        if options.netns != nil && name == nil {
            throw ValidationError("--netns selects the namespace of an instance; give the instance NAME too")
        }
    }

    /// The name given either way; nil for every instance.
    func selectedName() throws -> String? {
        try options.name(positional: name)
    }

    /// The instance; nil for every instance.
    func selector() throws -> InstanceSelector? {
        try selectedName().map { options.selector(name: $0) }
    }
}

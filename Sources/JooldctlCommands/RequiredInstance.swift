import ArgumentParser
import ControlProtocol
import Configuration

/// An instance, required: `NAME` or `--instance NAME`, and `--netns NS`.
///
/// Its checks are in `check()`, not in `validate()`: ArgumentParser runs a group's
/// `validate()` while it reads the command line, the command's `validate()` (which calls
/// `check()`) after it, so a name error comes after the parser's own errors (a missing
/// `--net`) and after `GlobalOptions`' checks.
struct RequiredInstance: ParsableArguments {
    @Argument(help: ArgumentHelp("The Jool instance name (same as --instance).", valueName: "name"))
    var name: String?

    @OptionGroup var options: InstanceOptions

    var netns: String? { options.netns }

    /// Usage errors: no name, two different names, a name the kernel would refuse.
    func check() throws {
        _ = try selectedName()
    }

    /// The name given either way.
    func selectedName() throws -> String {
        guard let name = try options.name(positional: name) else {
            throw ValidationError("missing the instance name (NAME or --instance NAME)")
        }
        return name
    }

    /// The instance.
    func selector() throws -> InstanceSelector {
        options.selector(name: try selectedName())
    }
}

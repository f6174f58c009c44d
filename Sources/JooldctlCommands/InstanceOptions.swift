import ArgumentParser
import ControlProtocol
import Configuration
import JoolWire

/// `--instance NAME` and `--netns NS`, the options `RequiredInstance` and
/// `OptionalInstance` share (each adds its own `NAME` argument).
struct InstanceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Jool instance name: 1 to 15 printable ASCII characters.", valueName: "name"))
    var instance: String?

    @Option(help: ArgumentHelp(
        "The instance's network namespace: a name as 'ip netns' has it, or a path such as /proc/PID/ns/net (default: the supervisor's own).",
        valueName: "ns"))
    var netns: String?

    /// The name given as `positional` or as --instance (both: they must agree); nil when
    /// neither is given. Names are checked as the kernel would (1-15 printable ASCII).
    func name(positional: String?) throws -> String? {
        if let positional, let instance, positional != instance {
            throw ValidationError("the instance is given twice, as '\(positional)' and as --instance '\(instance)'")
        }
        guard let name = positional ?? instance else { return nil }
        do {
            _ = try InstanceName(name)
        } catch {
            throw ValidationError(error.description)
        }
        return name
    }

    /// The instance named `name` in `--netns` (omitted or empty: the supervisor's own namespace).
    func selector(name: String) -> InstanceSelector {
        InstanceSelector(instance: name, netns: netns ?? "")
    }
}

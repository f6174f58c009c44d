import JoolWire
import LinuxRuntime
import Netlink

/// Why talking to Jool failed, in words an operator can act on.
public enum KernelLinkError: Error, Equatable, CustomStringConvertible {
    /// nlctrl does not know the "Jool" family.
    case moduleNotLoaded
    /// The family exists but has no "joold" multicast group.
    case noJooldGroup(groups: [String])
    /// The version of the loaded module cannot be learned.
    case unknownVersion(String)
    case unsupportedVersion(JoolVersion)
    case noReply(request: String, milliseconds: Int)
    case kernel(request: String, KernelError)
    case malformedReply(request: String, String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .moduleNotLoaded:
            return "the kernel has no Generic Netlink family 'Jool': is the jool kernel module loaded? (modprobe jool)"
        case let .noJooldGroup(groups):
            return "the Jool netlink family has no 'joold' multicast group (groups: \(groups.sorted().joined(separator: ", ")))"
        case let .unknownVersion(detail):
            return "cannot tell the version of the jool kernel module: \(detail); is the jool kernel module loaded?"
        case let .unsupportedVersion(version):
            return "jool kernel module \(version) is not supported (Jool 4.1.x is)"
        case let .noReply(request, milliseconds):
            return "the kernel did not answer \(request) within \(milliseconds) ms"
        case let .kernel(request, error):
            return "\(request): \(error)"
        case let .malformedReply(request, detail):
            return "\(request): \(detail)"
        case let .system(error):
            return error.description
        }
    }
}

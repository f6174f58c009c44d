import ControlProtocol
import Glibc
import LinuxRuntime

/// A network namespace as the operator names it: "" (the supervisor's own), a name
/// as `ip netns` uses (a file under /run/netns), or a path to a namespace file
/// (/proc/PID/ns/net, any bind mount).
///
/// Who may name what (the README's trust model): a member of the control group may
/// name the supervisor's namespace, `ip netns` names (also as /run/netns/NAME) and
/// /proc/PID/ns/net. What root then opens is either an entry of /run/netns, which only
/// root can create, or a namespace link of procfs, which the kernel makes: never a file
/// the member chose. Any other path (a container runtime's bind mount, say) is root's
/// to give. Whatever the path, it is opened and checked by `NetworkNamespaceFile`,
/// which never blocks and refuses every other kind of file with the same answer.
public struct NamespaceReference: Hashable, Sendable, CustomStringConvertible {
    /// As given (the key in the state file and in responses).
    public let name: String
    /// The file a worker enters; "" for the supervisor's own namespace.
    public let path: String

    public static let own = NamespaceReference(name: "", path: "")
    public static let namedDirectory = "/run/netns"

    public init(_ name: String) throws(ControlError) {
        self.name = name
        if name.isEmpty {
            path = ""
        } else if name.hasPrefix("/") {
            path = name
        } else {
            guard Self.isNamespaceName(name) else { throw Self.refusal(name) }
            path = "\(Self.namedDirectory)/\(name)"
        }
    }

    private init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public var description: String { name.isEmpty ? "the supervisor's namespace" : "namespace '\(name)'" }

    /// The one answer for every namespace that cannot be used, whatever the reason (no
    /// such file, another kind of file, a path only root may give), so that it tells
    /// nothing about the files behind it.
    public static func refusal(_ name: String) -> ControlError {
        ControlError(.noSuchNamespace, "no network namespace '\(name)' (give a name from 'ip netns list' or /proc/PID/ns/net; other paths to a namespace file: root only)")
    }

    /// Whether a control-group member may name it (see the type's comment).
    public var mayBeNamedByMembers: Bool {
        if path.isEmpty { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0].isEmpty, parts[1] == "run", parts[2] == "netns" {
            return Self.isNamespaceName(String(parts[3]))
        }
        return parts.count == 5 && parts[0].isEmpty && parts[1] == "proc" && parts[3] == "ns" && parts[4] == "net"
            && !parts[2].isEmpty && parts[2].utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Checks that `peer` may name this namespace and that it exists and is a network
    /// namespace, without blocking; its identity.
    public func resolve(for peer: PeerCredentials) throws(ControlError) -> NamespaceIdentity {
        guard peer.uid == 0 || mayBeNamedByMembers else { throw Self.refusal(name) }
        return try identity()
    }

    /// The namespace's identity (device and inode of its nsfs file), so that "blue" and
    /// "/run/netns/blue" are recognised as one namespace. Throws if it is none.
    public func identity() throws(ControlError) -> NamespaceIdentity {
        let identity = path.isEmpty ? NetworkNamespaceFile.current() : NetworkNamespaceFile.identity(of: path)
        guard let identity else { throw Self.refusal(name) }
        return identity
    }

    /// A name as `ip netns` takes it: no slash, not "." or "..".
    private static func isNamespaceName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && name != "." && name != ".."
    }
}

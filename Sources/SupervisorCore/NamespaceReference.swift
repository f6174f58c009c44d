import ControlProtocol
import Glibc

/// A network namespace as the operator names it: "" (the supervisor's own), a name
/// as `ip netns` uses (a file under /run/netns), or a path to a namespace file
/// (/proc/PID/ns/net, any bind mount).
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
            guard !name.contains("/"), name != ".", name != ".." else {
                throw ControlError(.noSuchNamespace, "'\(name)' is neither a namespace name (as in ip netns) nor an absolute path")
            }
            path = "\(Self.namedDirectory)/\(name)"
        }
    }

    private init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public var description: String { name.isEmpty ? "the supervisor's namespace" : "namespace '\(name)'" }

    /// The namespace's identity (device and inode of its nsfs file), so that "blue" and
    /// "/run/netns/blue" are recognised as one namespace. Throws if it does not exist.
    public func identity() throws(ControlError) -> NamespaceIdentity {
        let file = path.isEmpty ? "/proc/self/ns/net" : path
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw ControlError(.noSuchNamespace, "\(description) does not exist (\(file): \(String(cString: strerror(errno))))")
        }
        return NamespaceIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

public struct NamespaceIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64
}

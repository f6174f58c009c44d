import Glibc
import JoolWire
import LinuxRuntime

/// Where a worker finds Jool: the real module over Generic Netlink (always, in
/// production), or a simulated endpoint on a Unix socket for the host tests, chosen by
/// the environment variables JOOLD_TEST_KERNEL_SOCKET (its path) and
/// JOOLD_TEST_KERNEL_VERSION (the Jool version it plays, e.g. 4.1.9.0).
public enum KernelEndpoint: Equatable, Sendable {
    case netlink
    case simulated(socketPath: String, version: JoolVersion)

    /// Where the module publishes its version; jool_common registers the family.
    public static let versionFiles = ["/sys/module/jool/version", "/sys/module/jool_common/version"]

    public static func fromEnvironment(_ environment: [String: String]) throws(KernelLinkError) -> KernelEndpoint {
        guard let path = environment["JOOLD_TEST_KERNEL_SOCKET"] else { return .netlink }
        let text = environment["JOOLD_TEST_KERNEL_VERSION"] ?? "4.1.9.0"
        guard let version = JoolVersion(parsing: text) else {
            throw .unknownVersion("JOOLD_TEST_KERNEL_VERSION '\(text)' is not a version")
        }
        return .simulated(socketPath: path, version: version)
    }

    public func openChannel() throws(KernelLinkError) -> KernelChannel {
        do {
            switch self {
            case .netlink: return try NetlinkChannel()
            case let .simulated(path, _): return try UnixKernelChannel(path: path)
            }
        } catch {
            throw .system(error)
        }
    }

    /// The version of the loaded module, which decides the session format.
    public func moduleVersion() throws(KernelLinkError) -> JoolVersion {
        guard case .netlink = self else {
            if case let .simulated(_, version) = self { return version }
            throw .unknownVersion("no endpoint")
        }
        var tried: [String] = []
        for file in Self.versionFiles {
            guard let text = readSmallFile(file) else {
                tried.append("\(file) is unreadable")
                continue
            }
            guard let version = JoolVersion(parsing: text) else {
                throw .unknownVersion("\(file) holds '\(text.filter { !$0.isWhitespace })'")
            }
            return version
        }
        throw .unknownVersion(tried.joined(separator: ", "))
    }
}

import Glibc

/// An error the kernel reported, as opposed to bytes we could not parse.
public struct KernelError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Origin: Equatable, Sendable {
        /// A Jool error reply (header flag ERROR, JNLAERR_CODE / JNLAERR_MSG).
        case jool
        /// A standard `NLMSG_ERROR` from the netlink or genetlink core.
        case netlink
    }

    /// Positive errno.
    public let code: Int32
    /// The kernel's own text, or `strerror(code)` when it sent none.
    public let message: String
    public let origin: Origin

    public init(code: Int32, message: String, origin: Origin) {
        self.code = code
        self.message = message
        self.origin = origin
    }

    public var description: String {
        switch origin {
        case .jool: return "The kernel module returned error \(code): \(message)"
        case .netlink: return "The kernel returned netlink error \(code): \(message)"
        }
    }

    public static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, on what (interface, address, path), and why.
/// Prints as `bind([ff08::db8:64:64]:6464): Address already in use (errno 98)`.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The call that failed, e.g. "bind" or "setsockopt(IPV6_ADD_MEMBERSHIP)".
    public let call: String
    /// What it was applied to, e.g. "[ff08::db8:64:64]:6464"; may be empty.
    public let context: String
    public let errno: Int32

    public init(_ call: String, errno: Int32, context: String = "") {
        self.call = call
        self.errno = errno
        self.context = context
    }

    /// Captures the thread's errno before anything else can change it.
    public static func lastError(_ call: String, _ context: @autoclosure () -> String = "") -> SystemError {
        let code = Glibc.errno
        return SystemError(call, errno: code, context: context())
    }

    public var reason: String { String(cString: strerror(errno)) }

    public var description: String {
        "\(call)(\(context)): \(reason) (errno \(errno))"
    }
}

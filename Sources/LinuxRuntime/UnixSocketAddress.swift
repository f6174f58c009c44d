#if canImport(Glibc)
import Glibc
#endif

/// A Unix-domain socket address (sockaddr_un): a path in the file system, or a name
/// in the abstract namespace. Checked when made: a path that does not fit is an error
/// naming it, never a shortened address that reaches another socket.
public struct UnixSocketAddress: CustomStringConvertible, @unchecked Sendable {
    // @unchecked: sockaddr_un is plain bytes.
    private var storage = sockaddr_un()
    private let length: socklen_t
    /// The path as given; "@name" for an abstract name.
    public let description: String

    /// The longest path sun_path holds: 107 bytes, and the terminating NUL.
    public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A socket file at `path`.
    public init(path: String) throws(SystemError) {
        try self.init(bytes: Array(path.utf8), abstract: false, shown: path)
    }

    /// `name` in the abstract namespace (no file; sun_path starts with a NUL byte).
    public init(abstractName name: String) throws(SystemError) {
        try self.init(bytes: [0] + Array(name.utf8), abstract: true, shown: "@" + name)
    }

    private init(bytes: [UInt8], abstract: Bool, shown: String) throws(SystemError) {
        let call = "sockaddr_un"
        guard bytes.count > (abstract ? 1 : 0) else {
            throw SystemError(call, errno: EINVAL, context: "an empty path")
        }
        guard abstract || !bytes.contains(0) else {
            throw SystemError(call, errno: EINVAL, context: "a path with a NUL byte")
        }
        guard bytes.count <= Self.maxPathBytes else {
            throw SystemError(call, errno: ENAMETOOLONG, context:
                "\(shown) is \(bytes.count) bytes long; a Unix socket path has at most \(Self.maxPathBytes)")
        }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        // A path counts its NUL; an abstract name is exactly its bytes.
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
        length = socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1))
        description = shown
    }

    /// Calls `body` with the address as the kernel wants it.
    public func withSockAddr<R, E: Error>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(E) -> R) throws(E) -> R {
        try withUnsafeBytes(of: storage) { raw throws(E) in
            try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }
}

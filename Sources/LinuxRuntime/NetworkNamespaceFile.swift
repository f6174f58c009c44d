#if canImport(Glibc)
import Glibc
#endif
import CShim

/// A file that stands for a network namespace (/run/netns/NAME, /proc/PID/ns/net, a bind
/// mount of either), opened for `setns` only once it is known to be one, and without
/// anything that could block or read another kind of file:
///
/// 1. `open(O_PATH)`: resolves the path (following links, /proc/PID/ns/net is one) but
///    opens nothing: a FIFO does not block, a device's driver is not called, a regular
///    file is not read;
/// 2. `fstatfs` on that: the file must be on nsfs, the namespace filesystem;
/// 3. only then reopened for real (/proc/self/fd/N), and `NS_GET_NSTYPE` must say
///    CLONE_NEWNET (a mount, user, pid... namespace is refused).
///
/// Every other outcome, a missing path included, is the one `NotANetworkNamespace`, so
/// that whoever named the path learns nothing about other files.
public final class NetworkNamespaceFile {
    /// Open read-only and close-on-exec: what `setns` takes.
    public let fd: Int32
    public let identity: NamespaceIdentity

    public init(path: String) throws(NotANetworkNamespace) {
        let located = open(path, Int32(CSHIM_O_PATH) | O_CLOEXEC)
        guard located >= 0 else { throw NotANetworkNamespace() }
        defer { close(located) }
        var filesystem: UInt64 = 0
        guard cshim_filesystem_type(located, &filesystem) == 0, filesystem == UInt64(CSHIM_NSFS_MAGIC) else {
            throw NotANetworkNamespace()
        }
        let opened = open("/proc/self/fd/\(located)", O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw NotANetworkNamespace() }
        var info = stat()
        guard cshim_namespace_type(opened) == Int32(CSHIM_CLONE_NEWNET), fstat(opened, &info) == 0 else {
            close(opened)
            throw NotANetworkNamespace()
        }
        fd = opened
        identity = NamespaceIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    deinit { close(fd) }

    /// Moves the calling thread into the namespace (setns; CAP_SYS_ADMIN).
    public func enter() throws(SystemError) {
        guard cshim_setns_net(fd) == 0 else { throw SystemError.lastError("setns(CLONE_NEWNET)") }
    }

    /// The namespace `path` stands for now; nil if it stands for none.
    public static func identity(of path: String) -> NamespaceIdentity? {
        try? NetworkNamespaceFile(path: path).identity
    }

    /// The namespace of the calling thread.
    public static func current() -> NamespaceIdentity? {
        identity(of: "/proc/thread-self/ns/net")
    }
}

/// Which namespace a file stands for: nsfs's device and the namespace's inode, the same
/// for every path to it (/run/netns/blue, /proc/PID/ns/net of a process in it).
public struct NamespaceIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}

/// The path is not a network namespace file: missing, unreachable, or another kind of
/// file. Deliberately without detail.
public struct NotANetworkNamespace: Error, Equatable, Sendable {
    public init() {}
}

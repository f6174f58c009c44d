import Glibc
import LinuxRuntime

/// Reads a configuration or state file whole, saying what is wrong when the path is not
/// a regular file (a directory, a FIFO, a device: these are refused after a non-blocking
/// open, so a FIFO cannot make the reader wait).
package enum TextFile {
    /// The bytes of `path` (`name`, as given, names it in errors); nil when it does not
    /// exist and `missingIsNil`. Files larger than `limit` bytes are refused.
    package static func read(_ path: String, name: String? = nil, limit: Int,
                             missingIsNil: Bool = false) throws(ConfigurationError) -> [UInt8]? {
        let name = name ?? path
        let fd: Int32
        do {
            fd = try SystemCall.retrying("open", name) { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) }
        } catch {
            if error.errno == ENOENT && missingIsNil { return nil }
            throw unreadable(name, error.reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(name, String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw unreadable(name, "it is \(kind(of: info.st_mode)), not a regular file")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count: Int
            do {
                count = try SystemCall.retrying("read", name) { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) } }
            } catch {
                throw unreadable(name, error.reason)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= limit else { throw unreadable(name, "it is larger than \(limit) bytes") }
        }
    }

    /// "a regular file", "a directory", "a FIFO"...: what a file of `mode` (`st_mode`) is.
    package static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "something else"
        }
    }

    private static func unreadable(_ name: String, _ reason: String) -> ConfigurationError {
        .inFile(name, .unreadable, "cannot read the file: \(reason)")
    }
}

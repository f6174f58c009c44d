import Glibc

/// Reads a small text file (sysfs, /proc) whole; nil if it cannot be read.
/// The worker avoids Foundation to stay small.
public func readSmallFile(_ path: String, limit: Int = 64 * 1024) -> String? {
    guard let fd = try? SystemCall.retrying("open", path, { open(path, O_RDONLY | O_CLOEXEC) }) else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
        guard let count = try? SystemCall.retrying("read", path, { chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } })
        else { return nil }
        if count == 0 { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

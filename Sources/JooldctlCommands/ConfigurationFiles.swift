import Configuration
import Glibc
import LinuxRuntime

/// Reads the `net` and `stats` files of `jooldctl add` on the client side (relative paths
/// are relative to jooldctl's current directory) and checks them with the Configuration module's parsers,
/// so that a mistake is reported with the file and key before the supervisor is contacted.
public enum ConfigurationFiles {
    /// The largest file read (the whole request must stay under 1 MiB).
    public static let maximumFileSize = 512 * 1024

    /// The netsocket file's JSON object, validated with `NetSocketConfig.parse`.
    public static func netSocket(path: String, currentDirectory: String) throws(JooldctlFailure) -> JSONValue {
        let text = try read(path, currentDirectory: currentDirectory)
        return try check(path) { () throws(ConfigurationError) in
            _ = try NetSocketConfig.parse(text, path: path)
            return try JSONValue.parse(text, path: path)
        }
    }

    /// The stats file's JSON object, validated with `StatsSocketConfig.parse`.
    public static func statsSocket(path: String, currentDirectory: String) throws(JooldctlFailure) -> JSONValue {
        let text = try read(path, currentDirectory: currentDirectory)
        return try check(path) { () throws(ConfigurationError) in
            _ = try StatsSocketConfig.parse(text, path: path)
            return try JSONValue.parse(text, path: path)
        }
    }

    /// `--stats-port N`: `{"address": "::", "port": N}`.
    public static func statsObject(port: Int) -> JSONValue {
        .object([JSONValue.Member("address", .string(StatsSocketConfig.defaultAddress)),
                 JSONValue.Member("port", .integer(Int64(port)))])
    }

    private static func check(_ path: String, _ body: () throws(ConfigurationError) -> JSONValue) throws(JooldctlFailure) -> JSONValue {
        do {
            return try body()
        } catch {
            throw JooldctlFailure(.usage, error.description)
        }
    }

    /// The file's text; `path` as given names it in messages.
    static func read(_ path: String, currentDirectory: String) throws(JooldctlFailure) -> String {
        guard !path.isEmpty else { throw JooldctlFailure(.usage, "empty file name") }
        let full = path.hasPrefix("/") ? path : currentDirectory + "/" + path
        let fd: Int32
        do { fd = try SystemCall.retrying("open", full) { open(full, O_RDONLY | O_CLOEXEC) } } catch {
            throw unreadable(path, error.reason)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count: Int
            do {
                count = try SystemCall.retrying("read", full) { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) } }
            } catch {
                throw unreadable(path, error.reason)
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
            guard bytes.count <= maximumFileSize else {
                throw unreadable(path, "it is larger than \(maximumFileSize) bytes")
            }
        }
        guard !bytes.contains(0) else { throw unreadable(path, "it contains a NUL byte (is it a text file?)") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw unreadable(path, "it is not UTF-8 text")
        }
        return text
    }

    private static func unreadable(_ path: String, _ reason: String) -> JooldctlFailure {
        JooldctlFailure(.usage, "file '\(path)': cannot read the file: \(reason)")
    }
}

import Configuration
import Glibc

/// Reads the `net` and `stats` files of `jooldctl add` on the client side (relative paths
/// are relative to jooldctl's current directory); `InstanceSpec` then checks them, so that
/// a mistake is reported with the file and key before the supervisor is contacted.
public enum ConfigurationFiles {
    /// The largest file read (the whole request must stay under 1 MiB).
    public static let maximumFileSize = 512 * 1024

    /// The file's JSON document, as written; `path` as given names it in messages.
    public static func object(path: String, currentDirectory: String) throws(JooldctlFailure) -> JSONValue {
        guard !path.isEmpty else { throw JooldctlFailure(.usage, "empty file name") }
        let full = path.hasPrefix("/") ? path : currentDirectory + "/" + path
        do throws(ConfigurationError) {
            let bytes = try TextFile.read(full, name: path, limit: maximumFileSize) ?? []
            guard !bytes.contains(0) else { throw unreadable(path, "it contains a NUL byte (is it a text file?)") }
            guard String(validating: bytes, as: UTF8.self) != nil else { throw unreadable(path, "it is not UTF-8 text") }
            return try JSONValue.parse(bytes: bytes, path: path)
        } catch {
            throw JooldctlFailure(.usage, error.description)
        }
    }

    /// `--stats-port N`: `{"address": "::", "port": N}`.
    public static func statsObject(port: Int) -> JSONValue {
        .object([JSONValue.Member("address", .string(StatsSocketConfig.defaultAddress)),
                 JSONValue.Member("port", .integer(Int64(port)))])
    }

    private static func unreadable(_ path: String, _ reason: String) -> ConfigurationError {
        .inFile(path, .unreadable, "cannot read the file: \(reason)")
    }
}

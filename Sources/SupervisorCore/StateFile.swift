import Configuration
import ControlProtocol
import Glibc
import LinuxRuntime

/// The set of instances, kept across supervisor restarts in a JSON file people can
/// read and edit:
///
///     {"version": 1, "instances": [{"instance": "potato", "netns": "blue",
///       "net": {...netsocket keys...}, "stats": {"port": 45678}, "enable_ss": false}]}
///
/// Every change is written atomically: a temporary file in the same directory,
/// fsync, rename over the old one, fsync of the directory.
public struct StateFile: Sendable {
    public static let defaultPath = "/var/lib/joold-supervisor/state.json"
    public let path: String

    public init(path: String = StateFile.defaultPath) {
        self.path = path
    }

    /// The instances in the file; none if the file does not exist yet.
    public func load() throws(ControlError) -> [InstanceDefinition] {
        guard access(path, F_OK) == 0 else { return [] }
        let document: JSONValue
        do {
            document = try JSONValue.load(path: path)
        } catch {
            throw ControlError(.invalidConfig, "state file: \(error)")
        }
        guard case .object = document else {
            throw ControlError(.invalidConfig, "state file '\(path)': expected an object, found \(document.kindDescription)")
        }
        guard let list = document["instances"] else { return [] }
        guard case let .array(entries) = list else {
            throw ControlError(.invalidConfig, "state file '\(path)': \"instances\" must be an array")
        }
        var seen = Set<InstanceKey>()
        var definitions: [InstanceDefinition] = []
        for entry in entries {
            let definition = try InstanceDefinition(json: entry, source: "state file '\(path)'")
            try definition.validate(source: "state file '\(path)', \(definition.key)")
            guard seen.insert(definition.key).inserted else {
                throw ControlError(.invalidConfig, "state file '\(path)': \(definition.key) appears twice")
            }
            definitions.append(definition)
        }
        return definitions
    }

    public func save(_ definitions: [InstanceDefinition]) throws(ControlError) {
        let document = JSONValue.object([
            .init("version", .integer(1)),
            .init("instances", .array(definitions.sorted { $0.key < $1.key }.map(\.json))),
        ])
        let text = document.serialized(indent: 2) + "\n"
        try writeAtomically(text)
    }

    private func writeAtomically(_ text: String) throws(ControlError) {
        let directory = Self.directory(of: path)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw failure("cannot create directory \(directory)")
        }
        let temporary = "\(path).tmp.\(getpid())"
        let fd: Int32
        do {
            fd = try SystemCall.retrying("open", temporary) { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640) }
        } catch {
            throw failure("cannot create \(temporary)", error)
        }
        do {
            try writeAll(fd, Array(text.utf8), context: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw failure("cannot write \(temporary)", error)
        }
        guard fsync(fd) == 0 else {
            let error = failure("cannot fsync \(temporary)")
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private func failure(_ what: String, _ error: SystemError) -> ControlError {
        ControlError(.internal, "state file: \(what): \(error.reason)")
    }

    private func failure(_ what: String) -> ControlError {
        ControlError(.internal, "state file: \(what): \(String(cString: strerror(errno)))")
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

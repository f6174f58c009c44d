import Configuration
import ControlProtocol
import Glibc
import LinuxRuntime

/// The set of instances, kept across supervisor restarts in a JSON file people can
/// read and edit (each entry in the instance schema of the `add` request):
///
///     {"version": 1, "instances": [{"instance": "potato", "netns": "blue",
///       "net": {...netsocket keys...}, "stats": {"port": 45678}, "enable_ss": false}]}
///
/// It is read strictly: a wrong type, an unknown key, another version or one instance
/// twice (under two spellings of its namespace, too) refuses the whole file. Every change
/// is written atomically: a new temporary file in the same directory (never through a
/// link planted there), fsync, rename over the old one, fsync of the directory.
///
/// The supervisor only overwrites what it last read or wrote itself: an operator's edit
/// that was not reloaded (or whose reload was refused) is never lost silently.
public final class StateFile {
    public static let defaultPath = "/var/lib/joold-supervisor/state.json"
    public static let version: Int64 = 1
    /// Larger state files are refused (64 instances take about 20 KiB).
    static let maximumSize = 16 << 20
    public let path: String
    /// The file's bytes as this supervisor last read or wrote them; `.some(nil)`: it
    /// did not exist; nil: not looked at yet.
    private var known: [UInt8]??

    public init(path: String = StateFile.defaultPath) {
        self.path = path
    }

    /// The instances in the file. A missing file is no instance when `missingIsEmpty`
    /// (the first start), and an error otherwise (a reload).
    public func load(missingIsEmpty: Bool) throws(ControlError) -> [InstanceSpec] {
        let bytes = try read()
        guard let bytes else {
            guard missingIsEmpty else {
                throw ControlError(.invalidConfig, "the state file \(path) does not exist")
            }
            known = .some(nil)
            return []
        }
        let specs = try decode(bytes)
        known = .some(bytes)
        return specs
    }

    /// Refuses (`state-file-changed`) when the file is not what this supervisor last read
    /// or wrote: someone edited it and did not reload it, or its reload was refused.
    public func checkUnchanged() throws(ControlError) {
        guard let known else { return }
        let what: String
        do {
            let now = try read()
            guard now != known else { return }
            what = now == nil ? "was removed" : "was changed"
        } catch {
            what = "cannot be read (\(error.message))"
        }
        throw ControlError(.stateFileChanged,
                           "the state file \(path) \(what) since the supervisor last read or wrote it, and was not reloaded; "
                           + "nothing was changed, so that the edit is not overwritten: fix the file and send SIGHUP to "
                           + "joold-supervisor (its log says why a reload was refused), then try again")
    }

    public func save(_ specs: [InstanceSpec]) throws(ControlError) {
        try checkUnchanged()
        let document = JSONValue.object([
            .init("version", .integer(Self.version)),
            .init("instances", .array(specs.sorted { $0.key < $1.key }.map { .object($0.members) })),
        ])
        let bytes = Array((document.serialized(indent: 2) + "\n").utf8)
        try writeAtomically(bytes)
        known = .some(bytes)
    }

    // MARK: - Reading

    /// The file's bytes; nil when it does not exist. Anything but a regular file is
    /// refused without being opened for long (a FIFO would block).
    private func read() throws(ControlError) -> [UInt8]? {
        do {
            return try TextFile.read(path, limit: Self.maximumSize, missingIsNil: true)
        } catch {
            throw ControlError(.invalidConfig, "state file: \(error)")
        }
    }

    private func decode(_ bytes: [UInt8]) throws(ControlError) -> [InstanceSpec] {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes: bytes, path: path)
        } catch {
            throw ControlError(.invalidConfig, "state file: \(error)")
        }
        do throws(ControlError) {
            let top = try JSONFields(document, context: "state file '\(path)'", what: "the top level")
            try top.refuseUnknown(["version", "instances"])
            let version = try top.integer("version")
            guard version == Self.version else {
                throw top.failure(.invalidValue, "version \(version) is not supported; this supervisor reads version \(Self.version)")
            }
            var specs: [InstanceSpec] = []
            var namespaces: [(spec: InstanceSpec, namespace: NamespaceReference)] = []
            for (index, entry) in try top.array("instances").enumerated() {
                let fields = try JSONFields(entry, context: "state file '\(path)', instance \(index + 1)", what: "the entry")
                let spec = try InstanceSpec(reading: fields)
                let namespace: NamespaceReference
                do {
                    namespace = try NamespaceReference(spec.netns)
                } catch {
                    throw fields.failure(.invalidConfig, error.message)
                }
                if let twin = namespaces.first(where: { $0.spec.name == spec.name && Self.same($0.namespace, namespace) }) {
                    throw fields.failure(.invalidConfig, "instance '\(spec.name)' appears twice: in namespace '\(twin.spec.netns)' "
                                         + "and in namespace '\(spec.netns)', which are one namespace")
                }
                namespaces.append((spec, namespace))
                specs.append(spec)
            }
            return specs
        } catch {
            throw ControlError(.invalidConfig, error.message)
        }
    }

    /// Two spellings of one namespace: the same file (`blue`, `/run/netns/blue`), or the
    /// same nsfs inode when both exist now.
    private static func same(_ a: NamespaceReference, _ b: NamespaceReference) -> Bool {
        if a.path == b.path { return true }
        guard let first = try? a.identity(), let second = try? b.identity() else { return false }
        return first == second
    }

    // MARK: - Writing

    private func writeAtomically(_ bytes: [UInt8]) throws(ControlError) {
        let directory = Self.directory(of: path)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw failure("cannot create directory \(directory)")
        }
        let (temporary, fd) = try createTemporary()
        do {
            try writeAll(fd, bytes, context: temporary)
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

    /// A new file beside the state file, mode 0640 (less with a stricter umask): created
    /// exclusively, so that a file or link someone planted under that name is never
    /// written through; a name already taken is skipped.
    private func createTemporary() throws(ControlError) -> (path: String, fd: Int32) {
        for _ in 0..<16 {
            let temporary = "\(path).tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
            if fd >= 0 { return (temporary, fd) }
            guard errno == EEXIST else { throw failure("cannot create \(temporary)") }
        }
        throw failure("cannot create a temporary file beside \(path)")
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

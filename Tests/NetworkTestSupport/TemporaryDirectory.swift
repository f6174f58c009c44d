import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory under /tmp for one test: files, state files, Unix sockets (its
/// path is short, for their 107-byte limit). Mode 0755, so that the test users of the
/// access-control tests reach the sockets in it. `remove()` deletes it with everything
/// in it.
public final class TemporaryDirectory: Sendable {
    public let path: String

    /// `prefix` names the directory (`/tmp/PREFIX-XXXXXX`) after the tests that made it,
    /// for whoever finds one left behind. A /tmp that refuses a directory is a broken
    /// test machine: that stops the run.
    public init(prefix: String = "jtest") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            fatalError("mkdtemp /tmp/\(prefix)-XXXXXX: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        guard chmod(path, 0o755) == 0 else { fatalError("chmod \(path): \(String(cString: strerror(errno)))") }
    }

    /// The path of `name` in the directory.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `contents` to `name` (relative to the directory) and returns the full path.
    /// The file appears whole (written aside, then renamed), for programs that may be
    /// reading it meanwhile.
    @discardableResult
    public func write(_ name: String, _ contents: String) -> String {
        let target = file(name)
        let aside = target + ".writing"
        guard let stream = fopen(aside, "w") else { fatalError("fopen \(aside): \(String(cString: strerror(errno)))") }
        fputs(contents, stream)
        fclose(stream)
        guard rename(aside, target) == 0 else { fatalError("rename \(aside): \(String(cString: strerror(errno)))") }
        return target
    }

    /// The contents of `name`, or nil when it cannot be read.
    public func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

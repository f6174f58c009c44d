#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import LinuxRuntime
import NetworkTestSupport
import Testing

/// Only network-namespace files are opened, and nothing else is ever opened for real:
/// a FIFO nobody writes to, devices, files, directories, links and namespaces of other
/// kinds are all the same refusal, at once.
@Suite struct NetworkNamespaceFileTests {
    @Test func networkNamespacesAreOpenedUnderEverySpelling() throws {
        try NetworkLab.with(pair: false) { lab in
            let named = try NetworkNamespaceFile(path: "/run/netns/\(lab.namespaceA)")
            let inside = try lab.inA { try NetworkNamespaceFile(path: "/proc/thread-self/ns/net").identity }
            #expect(named.identity == inside)
            #expect(named.identity != NetworkNamespaceFile.current())
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            #expect(symlink("/run/netns/\(lab.namespaceA)", directory + "/link") == 0)
            #expect(NetworkNamespaceFile.identity(of: directory + "/link") == named.identity)
            #expect(NetworkNamespaceFile.identity(of: "/proc/self/ns/net") == NetworkNamespaceFile.current())

            // The descriptor is one setns takes: a fresh thread enters with it.
            let entered = try NamespaceThread.runOnFreshThread {
                try named.enter()
                return NetworkNamespaceFile.current()
            }
            #expect(entered == named.identity)
        }
    }

    @Test func everyOtherFileIsTheSameRefusalAndNothingBlocks() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(mkfifo(directory + "/fifo", 0o600) == 0)
        #expect(symlink(directory + "/fifo", directory + "/to-fifo") == 0)
        #expect(FileManager.default.createFile(atPath: directory + "/plain", contents: Data("text".utf8)))
        #expect(mkdir(directory + "/secret", 0o700) == 0)
        let others = [
            directory + "/fifo", directory + "/to-fifo", directory + "/plain", directory, directory + "/secret/none",
            "/dev/null", "/dev/zero", "/dev/tty", "/proc/self/ns/mnt", "/proc/self/ns/user", "/proc/self/ns/pid",
            "/proc/self/ns/uts", "/proc/self/ns/ipc", "/proc/self/ns/cgroup", "/proc/self/ns", "/proc/self/ns/net/",
            "/nonexistent", "", "relative/path",
        ]
        for path in others {
            let start = ContinuousClock.now
            #expect(throws: NotANetworkNamespace()) { try NetworkNamespaceFile(path: path) }
            // A FIFO opened for reading would wait for a writer for ever.
            #expect(ContinuousClock.now - start < .seconds(1), "\(path)")
            #expect(NetworkNamespaceFile.identity(of: path) == nil, "\(path)")
        }
    }
}

private func temporaryDirectory() throws -> String {
    var template = Array("/tmp/jnsf-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { throw SystemError.lastError("mkdtemp") }
    return String(cString: made)
}

import ControlProtocol
import Foundation
import NetworkTestSupport
import SupervisorCore
import Testing

/// Starting up: the group, the directory, stale and live sockets.
@Suite struct SocketFileTests {
    @Test func staleSocketIsReplaced() throws {
        let base = TemporaryDirectory(prefix: "jsc").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(mkdir(base + "/run", 0o750) == 0)
        // A socket file nobody listens on any more (its server died without cleaning up).
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array((base + "/run/supervisor.sock").utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(stale)

        let server = try ServerHarness(baseDirectory: base)
        defer { server.stop() }
        #expect(try RawControlClient(socketPath: server.socketPath).request(#"{"id": 1, "op": "echo"}"#).id == .integer(1))
        #expect(server.log.messages.contains { $0.contains("removed the stale control socket") })
    }

    @Test func liveServerIsNotReplaced() throws {
        let first = try ServerHarness()
        defer { first.stop() }
        #expect(throws: ControlServerError.alreadyRunning(path: first.socketPath)) {
            _ = try ServerHarness(baseDirectory: first.baseDirectory)
        }
        // The failed start left the first server's socket alone.
        #expect(try RawControlClient(socketPath: first.socketPath).request(#"{"id": 2, "op": "echo"}"#).id == .integer(2))
    }

    @Test func somethingElseAtTheSocketPathIsLeftAlone() throws {
        let base = TemporaryDirectory(prefix: "jsc").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(mkdir(base + "/run", 0o750) == 0)
        let path = base + "/run/supervisor.sock"
        #expect(FileManager.default.createFile(atPath: path, contents: Array("keep me".utf8).withUnsafeBytes { Data($0) }))
        #expect(throws: ControlServerError.notASocket(path: path)) {
            _ = try ServerHarness(baseDirectory: base)
        }
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func unknownGroupIsAClearError() throws {
        let error = #expect(throws: ControlServerError.self) {
            _ = try ServerHarness(groupName: "no-such-group-jsc")
        }
        #expect(error == .noSuchGroup("no-such-group-jsc"))
        #expect(error?.description.contains("'no-such-group-jsc' does not exist") == true)
    }

    @Test func sharedDirectoryKeepsItsModeButTheSocketIsLockedDown() throws {
        let base = TemporaryDirectory(prefix: "jsc").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(mkdir(base + "/shared", 0o777) == 0 && chmod(base + "/shared", 0o1777) == 0)
        let server = try ServerHarness(baseDirectory: base) { $0.socketPath = base + "/shared/control.sock" }
        defer { server.stop() }
        var info = stat()
        #expect(stat(base + "/shared", &info) == 0 && info.st_mode & 0o7777 == 0o1777)
        #expect(lstat(server.socketPath, &info) == 0 && info.st_mode & 0o7777 == 0o660)
        #expect(server.log.messages.contains { $0.contains("is shared") })
    }

    /// Whoever owns the socket's directory could swap the socket: a directory of another
    /// user, or a link, is refused and left as it is.
    @Test func socketDirectoryOfAnotherUserOrALinkIsRefused() throws {
        let base = TemporaryDirectory(prefix: "jsc").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let nobody: uid_t = 65534
        #expect(mkdir(base + "/run", 0o755) == 0 && chown(base + "/run", nobody, gid_t.max) == 0)
        #expect(throws: ControlServerError.directoryNotOwned(path: base + "/run", owner: nobody)) {
            _ = try ServerHarness(baseDirectory: base)
        }
        var info = stat()
        #expect(stat(base + "/run", &info) == 0 && info.st_mode & 0o7777 == 0o755 && info.st_uid == nobody)
        #expect(access(base + "/run/supervisor.sock", F_OK) != 0, "no socket was created there")

        #expect(mkdir(base + "/real", 0o750) == 0 && symlink(base + "/real", base + "/link") == 0)
        #expect(throws: ControlServerError.directoryIsALink(path: base + "/link")) {
            _ = try ServerHarness(baseDirectory: base) { $0.socketPath = base + "/link/supervisor.sock" }
        }
        #expect(access(base + "/real/supervisor.sock", F_OK) != 0)
    }

    @Test func socketDirectoryOfAPath() {
        func directory(_ path: String) -> String { ControlServerConfiguration(socketPath: path).socketDirectory }
        #expect(directory("/run/joold/supervisor.sock") == "/run/joold")
        #expect(directory("/supervisor.sock") == "/")
        #expect(directory("supervisor.sock") == ".")
        #expect(directory("run//x.sock") == "run/")
        #expect(ControlServerConfiguration().socketPath == "/run/joold/supervisor.sock")
        #expect(ControlServerConfiguration().groupName == "root")
        #expect(ControlServerConfiguration().idleTimeout == .seconds(60))
        #expect(ControlServerConfiguration().maxLineLength == 1_048_576)
        #expect(ControlServerConfiguration().maxPendingOutput == 1_048_576)
    }

    @Test func tooLongSocketPathIsRefused() throws {
        let base = TemporaryDirectory(prefix: "jsc").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let long = base + "/" + String(repeating: "s", count: 120)
        #expect(throws: ControlServerError.self) {
            _ = try ServerHarness(baseDirectory: base) { $0.socketPath = long }
        }
    }
}

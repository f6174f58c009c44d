import ControlProtocol
import Foundation
import NetworkTestSupport
import SupervisorCore
import Testing

/// Who may use the socket: root, members of the control group, nobody else. Real
/// users and groups are created for the test (and deleted afterwards); their client
/// is Python run through setpriv with the user's credentials.
@Suite(.serialized) struct AccessControlTests {
    @Test func rootIsAllowedAndTheHandlerSeesItsCredentials() throws {
        let group = try TemporaryGroup(prefix: "jscg")
        defer { group.delete() }
        let server = try ServerHarness(groupName: group.name)
        defer { server.stop() }
        let response = try RawControlClient(socketPath: server.socketPath).request(#"{"id": 1, "op": "echo"}"#)
        #expect(response.errorCode == nil)
        #expect(response.result?["uid"]?.integerValue == 0)
        #expect(response.result?["gid"]?.integerValue == Int64(getegid()))
        #expect(response.result?["pid"]?.integerValue == Int64(getpid()))
    }

    @Test func userOutsideTheControlGroupIsDeniedAndNothingRuns() throws {
        let group = try TemporaryGroup(prefix: "jscg")
        defer { group.delete() }
        let user = try TemporaryUser(prefix: "jscu")
        defer { user.delete() }
        let server = try ServerHarness(groupName: group.name)
        defer { server.stop() }

        // With the socket's own permissions the user cannot even connect.
        let blocked = try runClient(as: user, group: user.primaryGroup, supplementary: false,
                                    socket: server.socketPath, request: #"{"id": 1, "op": "echo"}"#)
        #expect(blocked.first == "CONNECT-ERROR \(EACCES)", "\(blocked)")

        // Permissions loosened (a mistake, or a capability such as CAP_DAC_OVERRIDE):
        // the server's own check still refuses, with one line, then closes.
        #expect(chmod(server.socketDirectory, 0o755) == 0 && chmod(server.socketPath, 0o666) == 0)
        let denied = try runClient(as: user, group: user.primaryGroup, supplementary: false,
                                   socket: server.socketPath,
                                   request: #"{"id": 1, "op": "echo"}"# + "\\n" + #"{"id": 2, "op": "hold"}"#)
        #expect(denied.count == 2, "\(denied)")
        let response = try ControlResponse.parse(try #require(denied.first))
        #expect(response.errorCode == .permissionDenied)
        #expect(response.id == nil)
        #expect(denied.last == "CLOSED")
        #expect(server.handledRequests.isEmpty)
        #expect(server.log.messages.contains { $0.contains("refused pid") && $0.contains("uid \(user.uid)") })
        #expect(try server.waitForConnections(0) == 0)
    }

    @Test func membersOfTheControlGroupAreAllowed() throws {
        let group = try TemporaryGroup(prefix: "jscg")
        defer { group.delete() }
        let user = try TemporaryUser(prefix: "jscu", supplementaryGroup: group.name)
        defer { user.delete() }
        let server = try ServerHarness(groupName: group.name)
        defer { server.stop() }

        // A supplementary member (its login groups), through the 0750/0660 permissions.
        let member = try runClient(as: user, group: user.primaryGroup, supplementary: true,
                                   socket: server.socketPath, request: #"{"id": "m", "op": "echo"}"#)
        let answer = try ControlResponse.parse(try #require(member.first, "\(member)"))
        #expect(answer.id == .string("m"))
        #expect(answer.result?["uid"]?.integerValue == Int64(user.uid))
        #expect(answer.result?["gid"]?.integerValue == Int64(user.primaryGroup))
        let groups = answer.result?["groups"]?.arrayValue?.compactMap(\.integerValue) ?? []
        #expect(groups.contains(Int64(group.gid)), "\(groups)")
        #expect(member.last == "OPEN")

        // The control group as the primary group, no supplementary groups at all.
        let primary = try runClient(as: user, group: group.gid, supplementary: false,
                                    socket: server.socketPath, request: #"{"id": "p", "op": "echo"}"#)
        let primaryAnswer = try ControlResponse.parse(try #require(primary.first, "\(primary)"))
        #expect(primaryAnswer.id == .string("p"))
        #expect(primaryAnswer.result?["gid"]?.integerValue == Int64(group.gid))
        #expect(primaryAnswer.result?["groups"]?.arrayValue == [])
        #expect(server.handledRequests == ["handle echo \"m\"", "handle echo \"p\""])
    }

    @Test func socketAndDirectoryCarryTheModesAndTheGroup() throws {
        let group = try TemporaryGroup(prefix: "jscg")
        defer { group.delete() }
        let base = TemporaryDirectory(prefix: "jsc").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        // An existing directory with other settings is brought in line.
        #expect(mkdir(base + "/run", 0o700) == 0)
        let server = try ServerHarness(groupName: group.name, baseDirectory: base)
        #expect(server.controlGroupID == group.gid)
        var info = stat()
        #expect(stat(server.socketDirectory, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o750)
        #expect(info.st_uid == 0 && info.st_gid == group.gid)
        #expect(lstat(server.socketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o7777 == 0o660)
        #expect(info.st_uid == 0 && info.st_gid == group.gid)
        server.stop()
        // close() removes the socket file.
        #expect(access(server.socketPath, F_OK) != 0 && errno == ENOENT)
    }
}

// MARK: - Users, groups and the unprivileged client

/// The client, as `uid` with primary group `group`: with its login groups
/// (`supplementary`) or none. Prints the response line, then CLOSED or OPEN (whether
/// the server closed the connection afterwards); or CONNECT-ERROR errno.
private func runClient(as user: TemporaryUser, group: gid_t, supplementary: Bool, socket: String,
                       request: String) throws -> [String] {
    let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(sys.argv[1])
        except OSError as e:
            print("CONNECT-ERROR", e.errno)
            sys.exit(0)
        try:
            s.sendall(sys.argv[2].encode().replace(b"\\\\n", b"\\n") + b"\\n")
        except OSError:
            pass  # refused clients may be closed before they finish sending
        data = b""
        try:
            while not data.endswith(b"\\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        print(data.decode().strip())
        s.settimeout(1)
        try:
            print("CLOSED" if s.recv(65536) == b"" else "MORE")
        except ConnectionResetError:
            print("CLOSED")
        except socket.timeout:
            print("OPEN")
        """
    let python = "/usr/bin/python3"
    guard access(python, X_OK) == 0 else { throw TestFailure("\(python) is needed for the access control tests") }
    let (status, output) = try Shell.execute([
        "/usr/bin/setpriv", "--reuid=\(user.uid)", "--regid=\(group)",
        supplementary ? "--init-groups" : "--clear-groups",
        python, "-I", "-c", script, socket, request,
    ])
    guard status == 0 else { throw TestFailure("client as \(user.name) exited with \(status): \(output)") }
    return output.split(separator: "\n").map(String.init)
}

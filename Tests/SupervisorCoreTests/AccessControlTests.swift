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

    /// However many connections members open (and hold: `follow` ones never go idle),
    /// each holds a few, together they leave root its reserve, and root keeps control.
    @Test func membersHoldAFewConnectionsEachAndLeaveRootItsReserve() throws {
        let group = try TemporaryGroup(prefix: "jscg")
        defer { group.delete() }
        let users = try (0..<3).map { _ in try TemporaryUser(prefix: "jscu") }
        defer { users.forEach { $0.delete() } }
        let server = try ServerHarness(groupName: group.name) {
            $0.maxConnections = 12
            $0.rootReserve = 4
            $0.maxConnectionsPerUser = 3
        }
        defer { server.stop() }

        // Each user tries 5: 3, 3, then the 2 left of the 8 members may share.
        var clients: [HostileClient] = []
        defer { clients.forEach { $0.finish() } }
        for (index, user) in users.enumerated() {
            let client = try HostileClient(.hold(count: 5, line: #"{"op": "echo"}"#), socket: server.socketPath,
                                           prefix: user.setpriv(supplementary: [group.gid]))
            clients.append(client)
            let responses = client.lines.map { try? ControlResponse.parse($0) }
            let served = responses.filter { $0?.result?["uid"]?.integerValue == Int64(user.uid) }.count
            let refusals = responses.compactMap { $0?.errorCode == .busy ? $0?.errorMessage : nil }
            #expect(served == (index < 2 ? 3 : 2), "\(user.name): \(client.lines)")
            #expect(served + refusals.count == 5, "\(client.lines)")
            if index < 2 {
                #expect(refusals.allSatisfy { $0 == "uid \(user.uid) already holds 3 connections (the limit per user); try again later" },
                        "\(refusals)")
            } else {
                #expect(refusals.allSatisfy { $0 == "the 8 connections open to users other than root are in use; try again later" },
                        "\(refusals)")
            }
        }
        #expect(try server.waitForConnections(8) == 8)

        // Root: the 4 kept for it, each served; a 13th connection is one too many for anyone.
        let rootClients = try (0..<4).map { _ in try RawControlClient(socketPath: server.socketPath) }
        for client in rootClients { #expect(try client.request(#"{"op": "echo"}"#).result?["uid"]?.integerValue == 0) }
        #expect(try RawControlClient(socketPath: server.socketPath).isRefusedBusy())

        // A member that lets go frees its share for the others.
        clients[0].finish()
        #expect(try server.waitForConnections(9) == 9)
        let later = try HostileClient(.hold(count: 1, line: #"{"op": "echo"}"#), socket: server.socketPath,
                                      prefix: users[2].setpriv(supplementary: [group.gid]))
        clients.append(later)
        #expect((try? ControlResponse.parse(later.lines.first ?? ""))?.result?["uid"]?.integerValue == Int64(users[2].uid),
                "\(later.lines)")
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

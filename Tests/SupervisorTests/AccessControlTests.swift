import Foundation
import Glibc
import JoolSimulator
import NetworkTestSupport
import Testing

extension SupervisorProcessTests {
    /// `joold-supervisor --group G`: the socket and its directory belong to root:G, and
    /// a real user runs the real jooldctl: refused outside G, served inside.
    @Suite struct AccessControl {
        @Test func onlyRootAndTheControlGroupMayUseTheSocket() throws {
            try #require(access("/usr/bin/setpriv", X_OK) == 0, "setpriv (util-linux) is needed")
            let group = try TemporaryGroup(prefix: "jsvg")
            defer { group.delete() }
            let user = try TemporaryUser(prefix: "jsvu")
            defer { user.delete() }
            #expect(user.primaryGroup != group.gid)

            try Scenario.with(namespaces: 1, group: group.name) { s in
                let netns = s.namespaces[0]
                let net = try s.netFile("net.json", NetFiles.disabled)
                let added = try s.ctl("add", "--instance", "default", "--net", net, "--netns", netns)
                try #require(added.status == 0, "root may: \(added)")

                // 0750 root:G directory, 0660 root:G socket.
                var info = stat()
                #expect(stat(s.directory.file("run"), &info) == 0)
                #expect(info.st_mode & 0o7777 == 0o750 && info.st_uid == 0 && info.st_gid == group.gid)
                #expect(lstat(s.socketPath, &info) == 0)
                #expect(info.st_mode & S_IFMT == S_IFSOCK)
                #expect(info.st_mode & 0o7777 == 0o660 && info.st_uid == 0 && info.st_gid == group.gid)

                // Not in G: the directory keeps the user out.
                let outsider = try jooldctl(["list"], socket: s.socketPath, prefix: user.setpriv())
                #expect(outsider.status == 3, "\(outsider)")
                #expect(outsider.stdout == "")
                #expect(outsider.stderr == "jooldctl: cannot connect to \(s.socketPath): Permission denied; is joold-supervisor running?\n",
                        "\(outsider)")

                // G as a supplementary group, as the primary group, and as a login group.
                for prefix in [user.setpriv(supplementary: [group.gid]), user.setpriv(group: group.gid)] {
                    let member = try jooldctl(["list", "--json"], socket: s.socketPath, prefix: prefix)
                    #expect(member.status == 0 && member.stderr == "", "\(prefix): \(member)")
                    #expect(try instances(in: try member.json()).compactMap { $0["instance"]?.stringValue } == ["default"])
                }
                try user.join(group)
                let login = try jooldctl(["status", "default", "--netns", netns], socket: s.socketPath,
                                         prefix: user.setpriv(initGroups: true))
                #expect(login.status == 0 && login.stdout.contains("running"), "\(login)")

                // With the file modes loosened, the supervisor's own check (SO_PEERCRED) refuses
                // the outsider: jooldctl reports permission-denied, and nothing happens.
                #expect(chmod(s.directory.file("run"), 0o755) == 0 && chmod(s.socketPath, 0o666) == 0)
                let denied = try jooldctl(["remove", "default", "--netns", netns], socket: s.socketPath, prefix: user.setpriv())
                #expect(denied.status == 1, "\(denied)")
                #expect(denied.stderr.hasPrefix("jooldctl: ") && denied.stderr.hasSuffix("(permission-denied)\n"), "\(denied)")
                let deniedJSON = try jooldctl(["list", "--json"], socket: s.socketPath, prefix: user.setpriv())
                #expect(deniedJSON.status == 1)
                #expect(try deniedJSON.json()["error"]?["code"] == .string("permission-denied"), "\(deniedJSON)")
                #expect(try s.list().map { $0.state } == ["running"], "the refused remove did nothing")
                #expect(try s.current.log.contains("uid \(user.uid)"), "the refusal is logged with the uid")
            }
        }
    }
}

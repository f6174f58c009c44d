import Foundation
import Glibc

/// Real groups and users for the access-control test (as in SupervisorCoreTests):
/// created with groupadd/useradd, deleted afterwards. The tools are retried while
/// another process holds /etc/passwd or /etc/group locked.
enum Accounts {
    static func administer(_ arguments: [String]) throws {
        var last = ""
        for _ in 0..<20 {
            let result = try runCommand(arguments)
            if result.status == 0 { return }
            last = "\(result)"
            usleep(200_000)
        }
        throw TestFailure("`\(arguments.joined(separator: " "))` failed: \(last)")
    }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)\(getpid() % 100_000)\(String(UInt32.random(in: 0...0xFFFFF), radix: 16))"
    }
}

struct TemporaryGroup {
    let name: String
    let gid: gid_t

    init() throws {
        name = Accounts.uniqueName("jsvg")
        try Accounts.administer(["/usr/sbin/groupadd", name])
        guard let entry = getgrnam(name) else { throw TestFailure("group \(name) was not created") }
        gid = entry.pointee.gr_gid
    }

    func delete() { _ = try? Accounts.administer(["/usr/sbin/groupdel", name]) }
}

struct TemporaryUser {
    let name: String
    let uid: uid_t
    let primaryGroup: gid_t

    /// A user without a home (-M) and without a group of its own (-N).
    init() throws {
        name = Accounts.uniqueName("jsvu")
        try Accounts.administer(["/usr/sbin/useradd", "-M", "-N", "-s", "/usr/sbin/nologin", name])
        guard let entry = getpwnam(name) else { throw TestFailure("user \(name) was not created") }
        uid = entry.pointee.pw_uid
        primaryGroup = entry.pointee.pw_gid
    }

    /// Makes the user a (login) member of `group`.
    func join(_ group: TemporaryGroup) throws {
        try Accounts.administer(["/usr/sbin/usermod", "-aG", group.name, name])
    }

    func delete() { _ = try? Accounts.administer(["/usr/sbin/userdel", name]) }

    /// setpriv arguments that run a program as this user: primary group `group`
    /// (default: the user's own) and the given supplementary groups, or the user's
    /// login groups (`initGroups`).
    func setpriv(group: gid_t? = nil, supplementary: [gid_t] = [], initGroups: Bool = false) -> [String] {
        let groups = initGroups ? "--init-groups"
            : supplementary.isEmpty ? "--clear-groups" : "--groups=" + supplementary.map(String.init).joined(separator: ",")
        return ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(group ?? primaryGroup)", groups]
    }
}

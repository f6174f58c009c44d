import Glibc

/// Real groups and users for the access-control tests: created with groupadd and
/// useradd, deleted afterwards. The tools are retried while another process holds
/// /etc/passwd or /etc/group locked.
public enum Accounts {
    public static func administer(_ arguments: [String]) throws {
        var last: (any Error)?
        for _ in 0..<20 {
            do {
                _ = try Shell.run(arguments)
                return
            } catch {
                last = error
                usleep(200_000)
            }
        }
        throw last!
    }

    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)\(getpid() % 100_000)\(String(UInt32.random(in: 0...0xFFFFF), radix: 16))"
    }
}

public struct AccountMissing: Error, CustomStringConvertible {
    public let description: String
}

public struct TemporaryGroup {
    public let name: String
    public let gid: gid_t

    public init(prefix: String = "jtg") throws {
        name = Accounts.uniqueName(prefix)
        try Accounts.administer(["/usr/sbin/groupadd", name])
        guard let entry = getgrnam(name) else { throw AccountMissing(description: "group \(name) was not created") }
        gid = entry.pointee.gr_gid
    }

    public func delete() { _ = try? Accounts.administer(["/usr/sbin/groupdel", name]) }
}

public struct TemporaryUser {
    public let name: String
    public let uid: uid_t
    public let primaryGroup: gid_t

    /// A user without a home (-M) and without a group of its own (-N).
    public init(prefix: String = "jtu", supplementaryGroup: String? = nil) throws {
        name = Accounts.uniqueName(prefix)
        try Accounts.administer(["/usr/sbin/useradd", "-M", "-N", "-s", "/usr/sbin/nologin"]
                                + (supplementaryGroup.map { ["-G", $0] } ?? []) + [name])
        guard let entry = getpwnam(name) else { throw AccountMissing(description: "user \(name) was not created") }
        uid = entry.pointee.pw_uid
        primaryGroup = entry.pointee.pw_gid
    }

    /// Makes the user a (login) member of `group`.
    public func join(_ group: TemporaryGroup) throws {
        try Accounts.administer(["/usr/sbin/usermod", "-aG", group.name, name])
    }

    public func delete() { _ = try? Accounts.administer(["/usr/sbin/userdel", name]) }

    /// setpriv arguments that run a program as this user: primary group `group`
    /// (default: the user's own) and the given supplementary groups, or the user's
    /// login groups (`initGroups`).
    public func setpriv(group: gid_t? = nil, supplementary: [gid_t] = [], initGroups: Bool = false) -> [String] {
        let groups = initGroups ? "--init-groups"
            : supplementary.isEmpty ? "--clear-groups" : "--groups=" + supplementary.map(String.init).joined(separator: ",")
        return ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(group ?? primaryGroup)", groups]
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CShim
import LinuxRuntime

/// Who is on the other end of a control connection, as the kernel recorded it when
/// the client called connect(): SO_PEERCRED and SO_PEERGROUPS.
public struct PeerCredentials: Equatable, Sendable, CustomStringConvertible {
    public var pid: pid_t
    public var uid: uid_t
    public var gid: gid_t
    public var supplementaryGroups: [gid_t]

    public init(pid: pid_t, uid: uid_t, gid: gid_t, supplementaryGroups: [gid_t] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
    }

    /// Root, or a member of `controlGroup` (primary or supplementary).
    public func mayControl(controlGroup: gid_t) -> Bool {
        uid == 0 || gid == controlGroup || supplementaryGroups.contains(controlGroup)
    }

    /// "pid 4242 uid 1000 gid 100".
    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }

    /// Reads the credentials of the peer of the connected Unix socket `fd`.
    /// `fallbackGroups` is true when the kernel lacks SO_PEERGROUPS (before 4.13)
    /// and the supplementary groups came from the group database instead.
    static func read(fd: Int32) throws(SystemError) -> (credentials: PeerCredentials, fallbackGroups: Bool) {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        guard cshim_peer_credentials(fd, &pid, &uid, &gid) == 0 else {
            throw SystemError.lastError("getsockopt(SO_PEERCRED)", "control connection fd \(fd)")
        }
        var credentials = PeerCredentials(pid: pid, uid: uid, gid: gid)
        var capacity: UInt32 = 64
        while true {
            var groups = [UInt32](repeating: 0, count: Int(capacity))
            var count: UInt32 = 0
            if cshim_peer_groups(fd, &groups, capacity, &count) == 0 {
                credentials.supplementaryGroups = Array(groups.prefix(Int(min(count, capacity))))
                return (credentials, false)
            }
            let code = errno
            if code == ERANGE, count > capacity, capacity < 1 << 17 {
                capacity = count
                continue
            }
            if code == ENOPROTOOPT {
                credentials.supplementaryGroups = GroupDatabase.groups(ofUser: uid, primaryGroup: gid) ?? []
                return (credentials, true)
            }
            throw SystemError("getsockopt(SO_PEERGROUPS)", errno: code, context: "control connection fd \(fd)")
        }
    }
}

/// The system's group database (NSS: /etc/group, LDAP, ...).
enum GroupDatabase {
    /// The id of the group called `name`; nil if there is none.
    static func groupID(named name: String) throws(SystemError) -> gid_t? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var size = 4096
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let status = getgrnam_r(name, &entry, &buffer, size, &result)
            if status == ERANGE, size < 1 << 24 {
                size *= 4
                continue
            }
            // POSIX allows "not found" to be reported as one of these instead of 0 and no result.
            if status == ENOENT || status == ESRCH || status == EBADF || status == EPERM { return nil }
            guard status == 0 else { throw SystemError("getgrnam_r", errno: status, context: name) }
            return result == nil ? nil : entry.gr_gid
        }
    }

    /// The supplementary groups the user `uid` gets at login (getgrouplist), for
    /// kernels without SO_PEERGROUPS; nil if the user or the list is unknown.
    static func groups(ofUser uid: uid_t, primaryGroup: gid_t) -> [gid_t]? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let name = entry.pw_name else { return nil }
        var count: Int32 = 64
        while count <= 1 << 17 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(name, primaryGroup, &groups, &found) >= 0 {
                return Array(groups.prefix(Int(found)))
            }
            count = max(count * 2, found)
        }
        return nil
    }
}

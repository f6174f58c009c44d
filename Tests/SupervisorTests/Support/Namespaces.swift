import Foundation
import Glibc
import LinuxRuntime
import NetworkTestSupport

/// Network namespaces for one test, named like NetworkLab's ("sejt" + test process id +
/// random part), so that NetworkLab also removes those of crashed runs. Optionally a
/// veth pair joins the first two (addresses as in NetworkLab: 2001:db8:ff08::1 and ::2).
/// `delete()` removes every namespace created, whatever happened.
final class TestNamespaces {
    private(set) var names: [String] = []
    private(set) var vethA = ""
    private(set) var vethB = ""
    private(set) var created: Set<String> = []
    private let tag = "\(getpid())x\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"

    /// `count` namespaces (lo up); with `veth`, a veth pair between the first two.
    init(count: Int, veth: Bool = false) throws {
        do {
            for index in 0..<count {
                let name = "\(NetworkLab.prefix)\(tag)\(Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(index))))"
                names.append(name)
                try create(name)
            }
            if veth { try joinFirstTwo() }
        } catch {
            delete()
            throw error
        }
    }

    subscript(index: Int) -> String { names[index] }

    /// A namespace name of this test's family that does not exist (yet).
    func unusedName(_ suffix: String) -> String { "\(NetworkLab.prefix)\(tag)\(suffix)" }

    /// Creates (or re-creates) the namespace `name`, lo up.
    func create(_ name: String) throws {
        try Shell.ip("netns", "add", name)
        created.insert(name)
        try Shell.ip("-n", name, "link", "set", "lo", "up")
        try Self.writeSysctl(name, "net/ipv6/conf/all/accept_dad", "0")
        try Self.writeSysctl(name, "net/ipv6/conf/default/accept_dad", "0")
    }

    func delete(_ name: String) {
        _ = try? Shell.ip("netns", "del", name)
    }

    /// Deletes every namespace this object created.
    func delete() {
        for name in created { delete(name) }
        created = []
    }

    deinit { delete() }

    private func joinFirstTwo() throws {
        let short = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        vethA = "sva\(short)"
        vethB = "svb\(short)"
        try Shell.ip("link", "add", vethA, "netns", names[0], "type", "veth", "peer", "name", vethB, "netns", names[1])
        for (namespace, interface, v4, v6) in [(names[0], vethA, "192.0.2.1/24", "2001:db8:ff08::1/64"),
                                              (names[1], vethB, "192.0.2.2/24", "2001:db8:ff08::2/64")] {
            try Self.writeSysctl(namespace, "net/ipv6/conf/\(interface)/accept_dad", "0")
            try Shell.ip("-n", namespace, "addr", "add", v4, "dev", interface)
            try Shell.ip("-n", namespace, "-6", "addr", "add", v6, "dev", interface, "nodad")
            try Shell.ip("-n", namespace, "link", "set", interface, "up")
        }
        for (namespace, interface) in [(names[0], vethA), (names[1], vethB)] {
            try Self.waitUntilUp(namespace, interface)
        }
    }

    /// /proc/sys/net shows the namespace of whoever opens it: open it from inside.
    private static func writeSysctl(_ namespace: String, _ key: String, _ value: String) throws {
        try NamespaceThread.run(inNamespaceNamed: namespace) {
            let path = "/proc/sys/\(key)"
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw TestFailure("open \(path) in \(namespace): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            guard write(fd, value, value.utf8.count) == value.utf8.count else {
                throw TestFailure("write \(path) in \(namespace): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// A fresh veth drops what is sent until linkwatch says it is up.
    private static func waitUntilUp(_ namespace: String, _ interface: String) throws {
        let ready = try eventually(within: .seconds(5)) { () -> Bool? in
            let link = try Shell.ip("-n", namespace, "-o", "link", "show", "dev", interface)
            let tentative = try Shell.ip("-n", namespace, "-6", "-o", "addr", "show", "dev", interface, "tentative")
            return link.contains("LOWER_UP") && link.contains("state UP") && tentative.isEmpty ? true : nil
        }
        guard ready == true else { throw TestFailure("\(interface) in \(namespace) is not up after 5 s") }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LinuxRuntime

/// Two fresh network namespaces joined by a veth pair, with IPv6 DAD off so
/// addresses are usable at once:
///
///     nsA: vethA 192.0.2.1/24, 2001:db8:ff08::1/64  <->  nsB: vethB 192.0.2.2/24, 2001:db8:ff08::2/64
///
/// Names carry the test process id and a random suffix, so parallel tests and
/// earlier crashed runs never collide. Use `NetworkLab.with { lab in ... }`,
/// which always deletes the namespaces (and with them the veth pair).
public struct NetworkLab {
    public static let prefix = "sejt"
    public static let ipv4A: [UInt8] = [192, 0, 2, 1]
    public static let ipv4B: [UInt8] = [192, 0, 2, 2]
    public static let ipv6A = "2001:db8:ff08::1"
    public static let ipv6B = "2001:db8:ff08::2"

    public let namespaceA: String
    public let namespaceB: String
    public let interfaceA: String
    public let interfaceB: String
    public let indexA: UInt32
    public let indexB: UInt32

    public static func with<T>(pair: Bool = true, _ body: (NetworkLab) throws -> T) throws -> T {
        removeLeftoversOfDeadRuns()
        let tag = "\(getpid())x\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        let namespaceA = "\(prefix)\(tag)a", namespaceB = "\(prefix)\(tag)b"
        let short = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let interfaceA = "sea\(short)", interfaceB = "seb\(short)"
        defer {
            _ = try? Shell.ip("netns", "del", namespaceA)
            _ = try? Shell.ip("netns", "del", namespaceB)
        }
        for namespace in [namespaceA, namespaceB] {
            try Shell.ip("netns", "add", namespace)
            try Shell.ip("-n", namespace, "link", "set", "lo", "up")
            try writeSysctl(namespace, "net/ipv6/conf/default/accept_dad", "0")
            try writeSysctl(namespace, "net/ipv6/conf/all/accept_dad", "0")
        }
        var indexA: UInt32 = 0, indexB: UInt32 = 0
        if pair {
            try Shell.ip("link", "add", interfaceA, "netns", namespaceA, "type", "veth",
                         "peer", "name", interfaceB, "netns", namespaceB)
            for (namespace, interface, v4, v6) in [(namespaceA, interfaceA, "192.0.2.1/24", ipv6A + "/64"),
                                                  (namespaceB, interfaceB, "192.0.2.2/24", ipv6B + "/64")] {
                try writeSysctl(namespace, "net/ipv6/conf/\(interface)/accept_dad", "0")
                try Shell.ip("-n", namespace, "addr", "add", v4, "dev", interface)
                try Shell.ip("-n", namespace, "-6", "addr", "add", v6, "dev", interface, "nodad")
                try Shell.ip("-n", namespace, "link", "set", interface, "up")
            }
            for (namespace, interface) in [(namespaceA, interfaceA), (namespaceB, interfaceB)] {
                try waitUntilReady(namespace, interface)
            }
            indexA = try NamespaceThread.run(inNamespaceNamed: namespaceA) { if_nametoindex(interfaceA) }
            indexB = try NamespaceThread.run(inNamespaceNamed: namespaceB) { if_nametoindex(interfaceB) }
            guard indexA != 0, indexB != 0 else {
                throw Shell.CommandFailed(command: ["if_nametoindex"], status: 1, output: "veth pair not found")
            }
        }
        return try body(NetworkLab(namespaceA: namespaceA, namespaceB: namespaceB,
                                   interfaceA: interfaceA, interfaceB: interfaceB,
                                   indexA: indexA, indexB: indexB))
    }

    public func inA<T>(_ body: () throws -> T) throws -> T { try NamespaceThread.run(inNamespaceNamed: namespaceA, body) }
    public func inB<T>(_ body: () throws -> T) throws -> T { try NamespaceThread.run(inNamespaceNamed: namespaceB, body) }

    /// /proc/sys/net shows the namespace of whoever opens it: open it from inside.
    private static func writeSysctl(_ namespace: String, _ key: String, _ value: String) throws {
        try NamespaceThread.run(inNamespaceNamed: namespace) {
            let path = "/proc/sys/\(key)"
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError.lastError("open", path) }
            defer { close(fd) }
            guard write(fd, value, value.utf8.count) == value.utf8.count else {
                throw SystemError.lastError("write", path)
            }
        }
    }

    /// Link-state changes reach the qdisc through linkwatch, up to a second later;
    /// until then a fresh veth silently drops what is sent. Wait for "state UP"
    /// on a carrier, and for no tentative IPv6 address.
    private static func waitUntilReady(_ namespace: String, _ interface: String) throws {
        let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
        while true {
            let link = try Shell.ip("-n", namespace, "-o", "link", "show", "dev", interface)
            let tentative = try Shell.ip("-n", namespace, "-6", "-o", "addr", "show", "dev", interface, "tentative")
            if link.contains("LOWER_UP"), link.contains("state UP"), tentative.isEmpty { return }
            guard MonotonicClock.nanoseconds() < deadline else {
                throw Shell.CommandFailed(command: ["ip", "-n", namespace, "link", "show", interface], status: 1,
                                          output: "interface not ready after 5 s: \(link) \(tentative)")
            }
            usleep(20_000)
        }
    }

    /// Namespaces left behind by test processes that died before cleaning up.
    private static func removeLeftoversOfDeadRuns() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/run/netns") else { return }
        for name in names where name.hasPrefix(prefix) {
            let pidText = name.dropFirst(prefix.count).prefix { $0.isNumber }
            guard let pid = Int32(pidText), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            _ = try? Shell.ip("netns", "del", name)
        }
    }
}

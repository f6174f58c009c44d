#if canImport(Glibc)
import Glibc
#endif
@testable import LinuxRuntime
import NetworkTestSupport
import Testing

@Suite struct NamespaceThreadTests {
    static func namespaceInode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    @Test func closureRunsInTheNamespaceAndTheCallerStaysPut() throws {
        try NetworkLab.with(pair: false) { lab in
            let before = Self.namespaceInode("/proc/thread-self/ns/net")
            let target = Self.namespaceInode("/run/netns/\(lab.namespaceA)")
            let inside = try lab.inA { Self.namespaceInode("/proc/thread-self/ns/net") }
            #expect(inside != nil && inside == target)
            #expect(inside != before)
            #expect(Self.namespaceInode("/proc/thread-self/ns/net") == before)
        }
    }

    @Test func socketKeepsTheNamespaceItWasCreatedIn() throws {
        try NetworkLab.with { lab in
            func bindsTo192_0_2_1(_ fd: Int32) -> Bool {
                SocketAddress(ipv4: NetworkLab.ipv4A, port: 0).withSockAddr { bind(fd, $0, $1) } == 0
            }
            // 192.0.2.1 exists only in namespace A.
            let here = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(here) }
            #expect(!bindsTo192_0_2_1(here))
            let there = try lab.inA { socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0) }
            defer { close(there) }
            // Bound from this thread, outside A: the socket's namespace is what counts.
            #expect(bindsTo192_0_2_1(there))
        }
    }

    @Test func missingNamespaceIsReportedByPath() {
        let error = #expect(throws: SystemError.self) {
            try NamespaceThread.run(inNamespaceNamed: "sejt-does-not-exist") { 1 }
        }
        #expect(error == SystemError("open", errno: ENOENT, context: "/run/netns/sejt-does-not-exist"))
    }

    @Test func errorsOfTheClosureReachTheCaller() throws {
        struct Marker: Error, Equatable {}
        #expect(throws: Marker()) {
            try NamespaceThread.runOnFreshThread { throw Marker() }
        }
    }
}

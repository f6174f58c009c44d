import Glibc
import LinuxRuntime
import SupervisorCore
import Testing

/// The readiness datagram reaches $NOTIFY_SOCKET, a socket file or an abstract name.
@Suite struct SystemdNotifierTests {
    /// What arrived on `receiver` (non-blocking), or nil.
    private func received(_ receiver: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 64)
        guard let count = try? SystemCall.retrying("recv", "notify socket", { recv(receiver, &buffer, buffer.count, Int32(MSG_DONTWAIT)) })
        else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    @Test(arguments: [true, false])
    func readinessReachesTheNotifySocket(abstract: Bool) throws {
        let name = "joold-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let address = abstract ? try UnixSocketAddress(abstractName: name) : try UnixSocketAddress(path: "/tmp/\(name)")
        let receiver = try SocketCalls.unixSocket(SOCK_DGRAM, context: address.description)
        defer { close(receiver) }
        try SocketCalls.bind(receiver, to: address)
        defer { if !abstract { unlink("/tmp/\(name)") } }

        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": address.description])
        #expect(notifier.notify("READY=1"))
        #expect(received(receiver) == "READY=1")
    }

    @Test func withoutNotifySocketNothingIsSent() {
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "@joold-nobody-\(getpid())"]).notify("READY=1"))
    }
}

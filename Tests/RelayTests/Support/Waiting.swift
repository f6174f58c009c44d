#if canImport(Glibc)
import Glibc
#endif
@testable import LinuxRuntime
@testable import Relay

/// poll(2) for readability: true if `fd` became readable within `milliseconds`.
func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let deadline = MonotonicClock.nanoseconds() + UInt64(milliseconds) * 1_000_000
    while true {
        let now = MonotonicClock.nanoseconds()
        guard now < deadline else { return false }
        let result = poll(&entry, 1, Int32((deadline - now) / 1_000_000) + 1)
        if result > 0 { return true }
        if result == 0 { return false }
        if errno != EINTR { return false }
    }
}

/// A datagram copied out of the receive callback. Prints as a summary (size and
/// FNV-1a digest) so that a failed comparison does not dump kilobytes.
struct CopiedDatagram: Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let wireLength: Int
    let truncated: Bool
    let sender: String?

    var description: String {
        let digest = bytes.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        return "Datagram(\(bytes.count) bytes, fnv \(String(digest, radix: 16)), wire \(wireLength), "
            + "truncated \(truncated), from \(sender ?? "nil"))"
    }
}

/// Collects datagrams from `socket` until `count` arrived or `milliseconds` passed.
func collect(_ socket: MulticastSocket, count: Int, milliseconds: Int32 = 2000) throws -> [CopiedDatagram] {
    var received: [CopiedDatagram] = []
    let deadline = MonotonicClock.nanoseconds() + UInt64(milliseconds) * 1_000_000
    while received.count < count {
        let now = MonotonicClock.nanoseconds()
        guard now < deadline, waitReadable(socket.fd, milliseconds: Int32((deadline - now) / 1_000_000) + 1)
        else { break }
        try socket.receive { datagram in
            received.append(CopiedDatagram(bytes: Array(datagram.payload), wireLength: datagram.wireLength,
                                           truncated: datagram.truncated, sender: datagram.sender?.description))
        }
    }
    return received
}

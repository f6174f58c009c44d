import Glibc
import LinuxRuntime

/// What one read from the kernel's side returned.
public enum KernelReceive: Equatable {
    /// `count` bytes of whole netlink messages are in the buffer.
    case messages(count: Int)
    /// Nothing is waiting (non-blocking socket).
    case empty
    /// The kernel dropped messages because the receive buffer was full (ENOBUFS).
    case overrun
    /// A message was larger than the buffer and was cut (MSG_TRUNC); it is lost.
    case truncated
}

/// A connection that carries whole netlink messages to and from Jool: the real
/// Generic Netlink socket, or the simulated endpoint of the host tests.
public protocol KernelChannel: AnyObject {
    /// For the event loop: readable when messages wait.
    var fd: Int32 { get }
    /// The netlink port id the kernel uses to address us.
    var portID: UInt32 { get }
    func send(_ message: [UInt8]) throws
    /// Reads one batch of messages (one datagram) into `buffer`.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> KernelReceive
    /// Subscribes to the multicast group with that id (joold's session packets).
    func joinGroup(_ id: UInt32) throws
    func close()
}

extension KernelChannel {
    /// Waits up to `milliseconds` for the channel to become readable.
    func waitReadable(milliseconds: Int32) throws -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&poller, 1, milliseconds)
            if ready >= 0 { return ready > 0 }
            if errno != EINTR { throw SystemError.lastError("poll", "kernel channel") }
        }
    }
}

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
    func send(_ message: [UInt8]) throws(SystemError)
    /// Reads one batch of messages (one datagram) into `buffer`.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> KernelReceive
    /// Subscribes to the multicast group with that id (joold's session packets).
    func joinGroup(_ id: UInt32) throws(SystemError)
    func close()
}

extension KernelChannel {
    /// Waits up to `milliseconds` for the channel to become readable.
    func waitReadable(milliseconds: Int32) throws(SystemError) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return try SystemCall.retrying("poll", "kernel channel") { poll(&poller, 1, milliseconds) } > 0
    }
}

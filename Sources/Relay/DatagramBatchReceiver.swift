#if canImport(Glibc)
import Glibc
#endif
import CShim
import LinuxRuntime

/// One datagram as handed to a receive callback. `payload` points into the
/// receiver's reusable buffers and is valid only during the callback; copy it
/// (`Array(payload)`) to keep it.
public struct ReceivedDatagram {
    public let payload: UnsafeRawBufferPointer
    /// The datagram's real size on the wire; larger than `payload.count` when truncated.
    public let wireLength: Int
    /// The datagram did not fit the buffer: `payload` is only its beginning.
    public let truncated: Bool
    /// nil only if the kernel reported no usable source address.
    public let sender: SocketAddress?
}

/// recvmmsg(2) over preallocated buffers: a burst of datagrams is drained with a
/// few system calls and no allocation per datagram.
final class DatagramBatchReceiver {
    let batchSize: Int
    let bufferSize: Int
    private let buffers: UnsafeMutableRawPointer
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private let batch: OpaquePointer

    init(batchSize: Int, bufferSize: Int) {
        precondition(batchSize > 0 && bufferSize > 0)
        self.batchSize = batchSize
        self.bufferSize = bufferSize
        buffers = .allocate(byteCount: batchSize * bufferSize, alignment: 16)
        addresses = .allocate(capacity: batchSize)
        addresses.initialize(repeating: sockaddr_storage(), count: batchSize)
        guard let batch = cshim_mmsg_create(UInt32(batchSize), buffers, bufferSize, addresses,
                                            MemoryLayout<sockaddr_storage>.size) else {
            fatalError("out of memory for \(batchSize) receive headers")
        }
        self.batch = batch
    }

    deinit {
        cshim_mmsg_destroy(batch)
        buffers.deallocate()
        addresses.deallocate()
    }

    /// One recvmmsg call: hands each datagram to `handler`, returns how many there
    /// were (0 when none is waiting). The handler cannot throw so that one bad
    /// datagram never costs the rest of its batch.
    func receive(from fd: Int32, context: @autoclosure () -> String,
                 _ handler: (ReceivedDatagram) -> Void) throws(SystemError) -> Int {
        let count: Int32
        do {
            count = try SystemCall.retrying("recvmmsg", context()) { cshim_mmsg_receive(fd, batch, Int32(MSG_DONTWAIT)) }
        } catch where error.errno == EAGAIN || error.errno == EWOULDBLOCK {
            return 0
        }
        for index in 0..<Int(count) {
            var length: UInt32 = 0, flags: Int32 = 0, addressLength: UInt32 = 0
            cshim_mmsg_result(batch, UInt32(index), &length, &flags, &addressLength)
            let wireLength = Int(length)
            let truncated = flags & Int32(MSG_TRUNC) != 0 || wireLength > bufferSize
            let payload = UnsafeRawBufferPointer(start: buffers + index * bufferSize,
                                                 count: min(wireLength, bufferSize))
            let sender = SocketAddress(raw: UnsafeRawPointer(addresses + index), length: socklen_t(addressLength))
            handler(ReceivedDatagram(payload: payload, wireLength: wireLength,
                                     truncated: truncated, sender: sender))
        }
        return Int(count)
    }
}

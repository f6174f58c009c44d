#if canImport(Glibc)
import Glibc
#endif
import CShim

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
    private let vectors: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private let headers: UnsafeMutablePointer<cshim_mmsghdr>

    init(batchSize: Int, bufferSize: Int) {
        precondition(batchSize > 0 && bufferSize > 0)
        self.batchSize = batchSize
        self.bufferSize = bufferSize
        buffers = .allocate(byteCount: batchSize * bufferSize, alignment: 16)
        vectors = .allocate(capacity: batchSize)
        addresses = .allocate(capacity: batchSize)
        headers = .allocate(capacity: batchSize)
        for index in 0..<batchSize {
            vectors[index] = iovec(iov_base: buffers + index * bufferSize, iov_len: bufferSize)
            addresses[index] = sockaddr_storage()
            headers[index] = cshim_mmsghdr()
            headers[index].msg_hdr.msg_iov = vectors + index
            headers[index].msg_hdr.msg_iovlen = 1
            headers[index].msg_hdr.msg_name = UnsafeMutableRawPointer(addresses + index)
        }
    }

    deinit {
        buffers.deallocate()
        vectors.deallocate()
        addresses.deallocate()
        headers.deallocate()
    }

    /// One recvmmsg call: hands each datagram to `handler`, returns how many there
    /// were (0 when none is waiting). The handler cannot throw so that one bad
    /// datagram never costs the rest of its batch.
    func receive(from fd: Int32, context: @autoclosure () -> String,
                 _ handler: (ReceivedDatagram) -> Void) throws -> Int {
        for index in 0..<batchSize {
            // The kernel overwrites these per call.
            headers[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            headers[index].msg_hdr.msg_flags = 0
            headers[index].msg_len = 0
        }
        var count: Int32
        repeat {
            // MSG_TRUNC as a flag makes msg_len the datagram's real length.
            count = cshim_recvmmsg(fd, headers, UInt32(batchSize), Int32(MSG_TRUNC) | Int32(MSG_DONTWAIT))
        } while count < 0 && errno == EINTR
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            throw SystemError.lastError("recvmmsg", context())
        }
        for index in 0..<Int(count) {
            let header = headers[index]
            let wireLength = Int(header.msg_len)
            let truncated = header.msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0 || wireLength > bufferSize
            let payload = UnsafeRawBufferPointer(start: buffers + index * bufferSize,
                                                 count: min(wireLength, bufferSize))
            let sender = SocketAddress(raw: UnsafeRawPointer(addresses + index), length: header.msg_hdr.msg_namelen)
            handler(ReceivedDatagram(payload: payload, wireLength: wireLength,
                                         truncated: truncated, sender: sender))
        }
        return Int(count)
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address (sockaddr_in / sockaddr_in6) held by value, so
/// receiving one costs no allocation; it only becomes text when printed.
public struct SocketAddress: CustomStringConvertible, @unchecked Sendable {
    // @unchecked: sockaddr_storage is plain bytes.
    private(set) var storage = sockaddr_storage()
    private(set) var length: socklen_t = 0

    public init(ipv4 address: [UInt8], port: UInt16) {
        precondition(address.count == 4, "IPv4 address must be 4 bytes")
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: address) }
        self.init(copying: sin)
    }

    public init(ipv6 address: [UInt8], port: UInt16, scopeID: UInt32 = 0) {
        precondition(address.count == 16, "IPv6 address must be 16 bytes")
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = port.bigEndian
        sin6.sin6_scope_id = scopeID
        withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: address) }
        self.init(copying: sin6)
    }

    /// From a raw sockaddr the kernel filled in; nil for families other than INET/INET6
    /// or a length too short for the family.
    public init?(raw: UnsafeRawPointer, length: socklen_t) {
        let family = Int32(raw.load(fromByteOffset: 0, as: sa_family_t.self))
        let needed = family == AF_INET ? MemoryLayout<sockaddr_in>.size
            : family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : Int.max
        guard Int(length) >= needed, needed <= MemoryLayout<sockaddr_storage>.size else { return nil }
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: needed)) }
        self.length = socklen_t(needed)
    }

    private init<T>(copying address: T) {
        withUnsafeMutableBytes(of: &storage) { dst in
            withUnsafeBytes(of: address) { dst.copyMemory(from: $0) }
        }
        length = socklen_t(MemoryLayout<T>.size)
    }

    public var family: Int32 { Int32(storage.ss_family) }

    /// Host order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port sit at the same offset.
            UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sa_family_t>.size, as: UInt16.self))
        }
    }

    /// True for 0.0.0.0 and ::.
    public var isWildcard: Bool {
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET: return raw.load(fromByteOffset: 4, as: UInt32.self) == 0
            case AF_INET6: return raw[8..<24].allSatisfy { $0 == 0 }
            default: return false
            }
        }
    }

    /// The same address with another port.
    public func withPort(_ port: UInt16) -> SocketAddress {
        var copy = self
        withUnsafeMutableBytes(of: &copy.storage) { raw in
            raw.storeBytes(of: port.bigEndian, toByteOffset: MemoryLayout<sa_family_t>.size, as: UInt16.self)
        }
        return copy
    }

    /// Calls `body` with the address as the kernel wants it.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { raw in
            try body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The address without the port: "192.0.2.1", "fe80::1%eth0".
    public var host: String {
        withUnsafeBytes(of: storage) { raw -> String in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
            let offset = family == AF_INET ? 4 : 8   // sin_addr / sin6_addr
            guard family == AF_INET || family == AF_INET6,
                  inet_ntop(family, raw.baseAddress! + offset, &text, socklen_t(text.count)) != nil
            else { return "<family \(family)>" }
            var result = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if family == AF_INET6 {
                let scope = raw.load(fromByteOffset: 24, as: UInt32.self)
                if scope != 0 { result += "%" + SocketAddress.interfaceName(scope) }
            }
            return result
        }
    }

    /// "192.0.2.1:6464" or "[ff08::db8:64:64]:6464".
    public var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func interfaceName(_ index: UInt32) -> String {
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(index, &name) != nil else { return String(index) }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

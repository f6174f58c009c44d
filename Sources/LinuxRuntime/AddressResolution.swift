#if canImport(Glibc)
import Glibc
#endif

/// getaddrinfo(3) failed; `code` is an EAI_* value.
public struct AddressResolutionError: Error, CustomStringConvertible, Equatable, Sendable {
    public let host: String
    public let service: String
    public let code: Int32
    public let reason: String

    public init(host: String, service: String, code: Int32, reason: String) {
        self.host = host
        self.service = service
        self.code = code
        self.reason = reason
    }

    public var description: String { "getaddrinfo(\(host), \(service)): \(reason)" }
}

public enum AddressResolution {
    /// All UDP addresses for `host`/`service` (host nil = wildcard), as getaddrinfo
    /// returns them.
    public static func passiveUDP(host: String?, service: String) throws(AddressResolutionError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let code = getaddrinfo(host, service, &hints, &list)
        guard code == 0 else {
            let reason = code == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(code))
            throw AddressResolutionError(host: host ?? "<wildcard>", service: service, code: code, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            if let address = current.pointee.ai_addr,
               let parsed = SocketAddress(raw: UnsafeRawPointer(address), length: current.pointee.ai_addrlen) {
                addresses.append(parsed)
            }
            entry = current.pointee.ai_next
        }
        return addresses
    }
}

import Glibc

/// An IPv4 address, 4 bytes in network order.
public struct IPv4Address: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Dotted-quad text, via inet_pton.
    public init?(_ text: String) {
        guard let bytes = presentationToNetwork(family: AF_INET, text, size: 4) else { return nil }
        self.bytes = bytes
    }

    public var isMulticast: Bool { bytes[0] & 0xF0 == 0xE0 }

    /// Canonical text, via inet_ntop.
    public var description: String { networkToPresentation(family: AF_INET, bytes) }
}

/// An IPv6 address, 16 bytes in network order.
public struct IPv6Address: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Text form without scope, via inet_pton.
    public init?(_ text: String) {
        guard let bytes = presentationToNetwork(family: AF_INET6, text, size: 16) else { return nil }
        self.bytes = bytes
    }

    public var isMulticast: Bool { bytes[0] == 0xFF }

    /// Canonical text (RFC 5952), via inet_ntop.
    public var description: String { networkToPresentation(family: AF_INET6, bytes) }
}

/// An IPv6 prefix (pool6).
public struct IPv6Prefix: Equatable, Sendable, CustomStringConvertible {
    public var address: IPv6Address
    public var length: UInt8

    public init(address: IPv6Address, length: UInt8) {
        self.address = address
        self.length = length
    }

    public var description: String { "\(address)/\(length)" }
}

private func presentationToNetwork(family: Int32, _ text: String, size: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: size)
    let result = bytes.withUnsafeMutableBytes { raw in
        text.withCString { inet_pton(family, $0, raw.baseAddress) }
    }
    return result == 1 ? bytes : nil
}

private func networkToPresentation(family: Int32, _ bytes: [UInt8]) -> String {
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let ok = bytes.withUnsafeBytes { raw in
        inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil
    }
    guard ok else { return "?" }
    let end = text.firstIndex(of: 0) ?? text.endIndex
    return String(decoding: text[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

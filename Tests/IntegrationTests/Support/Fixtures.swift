import Foundation
import JoolWire

/// Sessions in the kernel's own formats, for the simulated kernel to multicast.
enum Fixtures {
    static func session(_ index: Int, proto: Session.TransportProtocol = .udp) -> Session {
        Session(proto: proto, state: .established, timer: .established,
                src6: Session.IPv6Endpoint(address: IPv6Address("2001:db8::8")!, port: UInt16(40000 + index)),
                dst6: Session.IPv6Endpoint(address: IPv6Address("64:ff9b::c000:208")!, port: 5000),
                src4: Session.IPv4Endpoint(address: IPv4Address("192.0.2.1")!, port: UInt16(61001 + index)),
                dst4: Session.IPv4Endpoint(address: IPv4Address("192.0.2.8")!, port: 5000),
                expirationMilliseconds: 299_000)
    }

    /// The container payload of a kernel packet carrying `count` sessions.
    static func payload(_ count: Int, format: SessionFormat = .f1, first: Int = 0) -> [UInt8] {
        (first..<first + count).flatMap { try! SessionCodec.encode(session($0), format: format) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("joold-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

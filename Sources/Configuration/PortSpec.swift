import Glibc

/// A UDP port as configured: a number, or a service name for getservbyname(3).
public enum PortSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    case number(UInt16)
    case service(String)

    /// Digits are a port number (1-65535); anything else is a service name.
    public init(parsing text: String, origin: ValueOrigin) throws(ConfigurationError) {
        guard !text.isEmpty else {
            throw .at(origin, .invalidValue, "expected a port number (1-65535) or a service name, found an empty string")
        }
        if text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let number = UInt16(text), number > 0 else {
                throw .at(origin, .invalidValue, "expected a port number from 1 to 65535, found \(text)")
            }
            self = .number(number)
        } else {
            self = .service(text)
        }
    }

    /// The port number; a service name is looked up for UDP.
    public func resolve(origin: ValueOrigin) throws(ConfigurationError) -> UInt16 {
        switch self {
        case let .number(number):
            return number
        case let .service(name):
            guard let entry = getservbyname(name, "udp") else {
                throw .at(origin, .unresolvable,
                          "unknown UDP service \"\(name)\" (expected a port number or a service name from /etc/services)")
            }
            return UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.pointee.s_port))
        }
    }

    public var description: String {
        switch self {
        case let .number(number): return String(number)
        case let .service(name): return name
        }
    }
}

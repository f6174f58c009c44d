
/// Refusals of the multicast socket that are not system-call failures.
public enum MulticastSocketError: Error, Equatable, CustomStringConvertible {
    /// Jool's peers read at most 2048 bytes; a longer datagram would be cut.
    case payloadTooLarge(size: Int, limit: Int)
    /// The group address is not 4 or 16 bytes, or does not match the family.
    case malformedGroupAddress(String)
    /// An interface given the wrong way for the family (IPv6 needs an index).
    case interfaceFamilyMismatch(String)

    public var description: String {
        switch self {
        case .payloadTooLarge(let size, let limit):
            return "datagram of \(size) bytes exceeds the \(limit)-byte limit of the session-sync protocol"
        case .malformedGroupAddress(let group):
            return "malformed multicast group address \(group)"
        case .interfaceFamilyMismatch(let detail):
            return detail
        }
    }
}

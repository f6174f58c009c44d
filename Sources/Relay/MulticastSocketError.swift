import LinuxRuntime

/// Why the multicast socket refused or failed.
public enum MulticastSocketError: Error, Equatable, CustomStringConvertible {
    /// A system call failed (EAGAIN from `send`: the socket buffer is full).
    case system(SystemError)
    /// Jool's peers read at most 2048 bytes; a longer datagram would be cut.
    case payloadTooLarge(size: Int, limit: Int)
    /// The group address is not 4 or 16 bytes, or does not match the family.
    case malformedGroupAddress(String)
    /// An interface given the wrong way for the family (IPv6 needs an index).
    case interfaceFamilyMismatch(String)

    public var description: String {
        switch self {
        case .system(let error):
            return error.description
        case .payloadTooLarge(let size, let limit):
            return "datagram of \(size) bytes exceeds the \(limit)-byte limit of the session-sync protocol"
        case .malformedGroupAddress(let group):
            return "malformed multicast group address \(group)"
        case .interfaceFamilyMismatch(let detail):
            return detail
        }
    }
}

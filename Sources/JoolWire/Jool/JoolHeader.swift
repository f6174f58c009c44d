/// `struct joolnlhdr`, the 28 bytes after the generic-netlink header of every Jool message.
public struct JoolHeader: Equatable, Sendable {
    public var version: JoolVersion
    /// Translator type bits (`XT_SIIT` 1, `XT_NAT64` 2).
    public var translatorType: UInt8
    public var flags: UInt8
    /// The instance name up to the first NUL. Kernel multicasts may carry garbage
    /// after the NUL; it is ignored.
    public var instanceName: String

    public init(version: JoolVersion, translatorType: UInt8 = JoolNetlink.TranslatorType.nat64,
                flags: UInt8 = 0, instanceName: String) {
        self.version = version
        self.translatorType = translatorType
        self.flags = flags
        self.instanceName = instanceName
    }

    /// The header of a request from this daemon to `instance`.
    public init(request instance: InstanceName, version: JoolVersion, flags: UInt8 = 0) {
        self.init(version: version, flags: flags, instanceName: instance.value)
    }

    public var isError: Bool { flags & JoolNetlink.HeaderFlags.error != 0 }
    public var hasMore: Bool { flags & JoolNetlink.HeaderFlags.more != 0 }
    public var isNAT64: Bool { translatorType & JoolNetlink.TranslatorType.nat64 != 0 }

    /// Case-sensitive, like the kernel's instance lookup.
    public func isAddressed(to instance: InstanceName) -> Bool {
        instanceName == instance.value
    }

    /// The 28 wire bytes. The name is truncated to 15 bytes and zero-filled.
    public func encoded() -> [UInt8] {
        var bytes = JoolNetlink.magic
        bytes += version.bigEndianBytes
        bytes += [translatorType, flags, 0, 0]
        var name = Array(instanceName.utf8.prefix(JoolNetlink.instanceNameBufferSize - 1))
        name += repeatElement(0, count: JoolNetlink.instanceNameBufferSize - name.count)
        bytes += name
        return bytes
    }

    /// Decodes the first 28 bytes of `bytes` (the genl payload). Checks only the
    /// framing: length, magic and a NUL inside the name field. Use `validate` for
    /// the semantic checks.
    public init(decoding bytes: some Collection<UInt8>) throws(JoolHeaderError) {
        let b = Array(bytes.prefix(JoolNetlink.headerSize))
        guard b.count == JoolNetlink.headerSize else { throw .tooShort(length: bytes.count) }
        guard Array(b[0..<4]) == JoolNetlink.magic else { throw .badMagic(Array(b[0..<4])) }
        let nameField = b[12..<28]
        guard let nul = nameField.firstIndex(of: 0) else { throw .unterminatedName }
        self.init(version: JoolVersion(major: b[4], minor: b[5], revision: b[6], dev: b[7]),
                  translatorType: b[8], flags: b[9],
                  instanceName: String(decoding: b[12..<nul], as: UTF8.self))
    }

    /// The checks joold makes on what the kernel sends: compatible version
    /// (same major.minor as `expected`) and the NAT64 bit in the translator type.
    public func validate(expecting expected: JoolVersion) throws(JoolHeaderError) {
        guard version.isCompatible(with: expected) else {
            throw .incompatibleVersion(found: version, expected: expected)
        }
        guard isNAT64 else { throw .notNAT64(translatorType: translatorType) }
    }
}

public enum JoolHeaderError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(length: Int)
    case badMagic([UInt8])
    case unterminatedName
    case incompatibleVersion(found: JoolVersion, expected: JoolVersion)
    case notNAT64(translatorType: UInt8)

    public var description: String {
        switch self {
        case let .tooShort(length):
            return "message too short to contain a Jool header (\(length) bytes, need \(JoolNetlink.headerSize))"
        case let .badMagic(bytes):
            return "bad magic in the Jool header: \(bytes.map(hex).joined(separator: " ")) (expected 6a 6f 6f 6c, \"jool\")"
        case .unterminatedName:
            return "the instance name in the Jool header is not NUL-terminated within 16 bytes"
        case let .incompatibleVersion(found, expected):
            return "version mismatch: the kernel speaks Jool \(found), this daemon needs \(expected.major).\(expected.minor).x"
        case let .notNAT64(xt):
            return "the Jool header's translator type (\(xt)) does not include NAT64"
        }
    }
}

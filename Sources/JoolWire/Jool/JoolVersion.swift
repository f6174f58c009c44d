/// A Jool version as carried in the Jool header: one byte each for major, minor,
/// revision and dev, big-endian on the wire (`xlat_version()`).
public struct JoolVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: UInt8
    public var minor: UInt8
    public var revision: UInt8
    public var dev: UInt8

    public init(major: UInt8, minor: UInt8, revision: UInt8, dev: UInt8 = 0) {
        self.major = major
        self.minor = minor
        self.revision = revision
        self.dev = dev
    }

    public static let v4_1_9 = JoolVersion(major: 4, minor: 1, revision: 9)
    public static let v4_1_15 = JoolVersion(major: 4, minor: 1, revision: 15)
    /// The kernel modules this daemon speaks to: Jool 4.1.x.
    public static let supported = JoolVersion(major: 4, minor: 1, revision: 0)..<JoolVersion(major: 4, minor: 2, revision: 0)

    /// Parses "4.1.9.0" (the content of /sys/module/jool/version) or "4.1.9".
    /// Surrounding whitespace (the trailing newline of the sysfs file) is ignored.
    public init?(parsing text: String) {
        let trimmed = text.trimmingASCIIWhitespace()
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4 else { return nil }
        var numbers: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(part) else { return nil }
            numbers.append(value)
        }
        self.init(major: numbers[0], minor: numbers[1], revision: numbers[2],
                  dev: numbers.count == 4 ? numbers[3] : 0)
    }

    public init(encoded: UInt32) {
        self.init(major: UInt8(truncatingIfNeeded: encoded >> 24),
                  minor: UInt8(truncatingIfNeeded: encoded >> 16),
                  revision: UInt8(truncatingIfNeeded: encoded >> 8),
                  dev: UInt8(truncatingIfNeeded: encoded))
    }

    /// The host-order value major·2^24 + minor·2^16 + revision·2^8 + dev.
    public var encoded: UInt32 {
        UInt32(major) << 24 | UInt32(minor) << 16 | UInt32(revision) << 8 | UInt32(dev)
    }

    public var bigEndianBytes: [UInt8] { [major, minor, revision, dev] }

    public init?(bigEndianBytes bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        let b = Array(bytes)
        self.init(major: b[0], minor: b[1], revision: b[2], dev: b[3])
    }

    /// Same major.minor: what the kernel (and 4.1.10+ userspace) requires.
    public func isCompatible(with other: JoolVersion) -> Bool {
        major == other.major && minor == other.minor
    }

    /// Orders by major, minor, revision, then dev.
    public static func < (lhs: JoolVersion, rhs: JoolVersion) -> Bool {
        lhs.encoded < rhs.encoded
    }

    /// The session serialization format a kernel of this version speaks (4.1.x only).
    public var sessionFormat: SessionFormat { SessionFormat(kernelRevision: revision) }

    public var description: String { "\(major).\(minor).\(revision).\(dev)" }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}

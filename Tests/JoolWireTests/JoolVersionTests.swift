@testable import JoolWire
import Testing

@Suite struct JoolVersionTests {
    @Test func parsesSysfsText() {
        #expect(JoolVersion(parsing: "4.1.9.0\n") == JoolVersion(major: 4, minor: 1, revision: 9, dev: 0))
        #expect(JoolVersion(parsing: "4.1.15.0") == .v4_1_15)
        #expect(JoolVersion(parsing: "4.1.9") == .v4_1_9)
        #expect(JoolVersion(parsing: "4.1.9.0\r\n") == .v4_1_9)
        #expect(JoolVersion(parsing: " 4.1.12.3 ") == JoolVersion(major: 4, minor: 1, revision: 12, dev: 3))
    }

    @Test(arguments: ["", "4", "4.1", "4.1.9.0.1", "4.1.x.0", "4..9", "4.1.256", "-4.1.9", "4.1.9.0abc", "+4.1.9"])
    func rejectsBadText(_ text: String) {
        #expect(JoolVersion(parsing: text) == nil)
    }

    @Test func encodesBigEndian() {
        #expect(JoolVersion.v4_1_9.encoded == 0x0401_0900)
        #expect(JoolVersion.v4_1_15.bigEndianBytes == [4, 1, 15, 0])
        #expect(JoolVersion(encoded: 0x0401_0C00) == JoolVersion(major: 4, minor: 1, revision: 12))
        #expect(JoolVersion(bigEndianBytes: [4, 1, 15, 0]) == .v4_1_15)
        #expect(JoolVersion(bigEndianBytes: [4, 1, 15]) == nil)
        #expect(JoolVersion.v4_1_15.description == "4.1.15.0")
    }

    @Test func compatibilityIsMajorMinor() {
        #expect(JoolVersion.v4_1_9.isCompatible(with: .v4_1_15))
        #expect(!JoolVersion(major: 4, minor: 2, revision: 0).isCompatible(with: .v4_1_15))
        #expect(!JoolVersion(major: 3, minor: 1, revision: 15).isCompatible(with: .v4_1_15))
    }

    @Test func versionsOrderByMajorMinorRevisionThenDev() {
        let versions = ["4.2.0", "4.1.15.1", "3.9.99", "4.1.9", "4.1.15", "4.1.10", "5.0.0"].compactMap { JoolVersion(parsing: $0) }
        #expect(versions.sorted().map(\.description) == ["3.9.99.0", "4.1.9.0", "4.1.10.0", "4.1.15.0", "4.1.15.1", "4.2.0.0", "5.0.0.0"])
        #expect(JoolVersion.v4_1_9 < .v4_1_15 && !(JoolVersion.v4_1_15 < .v4_1_15))
        #expect(JoolVersion.supported.contains(.v4_1_9) && JoolVersion.supported.contains(JoolVersion(major: 4, minor: 1, revision: 255)))
        #expect(!JoolVersion.supported.contains(JoolVersion(major: 4, minor: 2, revision: 0)))
        #expect(!JoolVersion.supported.contains(JoolVersion(major: 4, minor: 0, revision: 9)))
    }

    @Test func sessionFormatFollowsRevision() {
        #expect(JoolVersion.v4_1_9.sessionFormat == .f1)
        #expect(JoolVersion(major: 4, minor: 1, revision: 11).sessionFormat == .f1)
        #expect(JoolVersion(major: 4, minor: 1, revision: 12).sessionFormat == .f2)
        #expect(JoolVersion(major: 4, minor: 1, revision: 13).sessionFormat == .f3)
        #expect(JoolVersion.v4_1_15.sessionFormat == .f3)
        #expect(SessionFormat.f1.recordSize == 140)
        #expect(SessionFormat.f2.recordSize == 52)
        #expect(SessionFormat.f3.recordSize == 40)
    }
}

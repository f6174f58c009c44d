import Glibc
@testable import JoolWire
@testable import Netlink

/// "30 00 1d 01" → bytes. Whitespace is ignored.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { hex($0) }.joined(separator: " ")
}

/// A kernel-style Jool message (reply or multicast): flags 0, genl cmd 0 version 2.
func kernelJoolMessage(familyID: UInt16 = 0x22, sequence: UInt32 = 0, portID: UInt32 = 0,
                       header: JoolHeader, headerBytes: [UInt8]? = nil,
                       attributes: (inout NetlinkMessageWriter) -> Void = { _ in }) -> [UInt8] {
    var writer = NetlinkMessageWriter(type: familyID, flags: 0, sequence: sequence, portID: portID)
    writer.putGenericHeader(command: 0, version: 2)
    writer.putExtraHeader(headerBytes ?? header.encoded())
    attributes(&writer)
    return writer.bytes()
}

/// The TCP session of the examples in docs/jool-kernel-protocol.md (§11.4, Appendix A.2).
let exampleSession = Session(
    proto: .tcp, state: .established, timer: .established,
    src6: .init(address: IPv6Address("2001:db8::8")!, port: 37878),
    src4: .init(address: IPv4Address("192.0.2.1")!, port: 62805),
    dst4: .init(address: IPv4Address("192.0.2.8")!, port: 1234),
    expirationMilliseconds: 7_199_000)


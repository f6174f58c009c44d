import Netlink

/// The allocation-free check of one F1 record on the receive hot path: true when the
/// record has exactly the layout `F1RecordValidator` accepts
/// (docs/jool-kernel-protocol.md §11.2), read in place. It accepts a subset of what that
/// validator accepts (the same layout, flags and ranges); anything else goes to the
/// validator, which says what is wrong. Without it, validating a 10-record datagram cost
/// ~400,000 instructions (attribute arrays, key paths, interpolated context strings),
/// more than everything else per datagram.
enum F1RecordFastCheck {
    /// `bytes` holds the record's 140 bytes (its own attribute header first). Every
    /// attribute header sits at a fixed offset in a well-formed record.
    static func accepts(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == SessionFormat.f1.recordSize else { return false }
        func at(_ offset: Int, _ length: UInt16, _ type: UInt16, nest: Bool = false) -> Bool {
            let rawType = bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self)
            return bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self) == length
                && (nest ? rawType & ~NetlinkConstants.attributeNested : rawType) == type
        }
        return at(0, 140, 1, nest: true)
            // src6 and dst6: nest, ADDR (16 bytes), PORT; src4 and dst4: nest, ADDR (4), PORT.
            && at(4, 32, 1, nest: true) && at(8, 20, 1) && at(28, 6, 2)
            && at(36, 32, 2, nest: true) && at(40, 20, 1) && at(60, 6, 2)
            && at(68, 20, 3, nest: true) && at(72, 8, 1) && at(80, 6, 2)
            && at(88, 20, 4, nest: true) && at(92, 8, 1) && at(100, 6, 2)
            // proto (≤ 2), TCP state (≤ 6), timer (≤ 2): u8; expiration: u32.
            && at(108, 5, 5) && bytes[112] <= 2
            && at(116, 5, 6) && bytes[120] <= 6
            && at(124, 5, 7) && bytes[128] <= 2
            && at(132, 8, 8)
    }
}

/// Lower-case hex for messages.
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}

func hex16(_ value: UInt16) -> String {
    hex(UInt8(value >> 8)) + hex(UInt8(truncatingIfNeeded: value))
}

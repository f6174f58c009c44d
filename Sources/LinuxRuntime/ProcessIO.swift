import Glibc

/// Writes all of `bytes` to `fd`, retrying short writes (no stdio buffering, so lines
/// reach a pipe at once); throws the write that failed, naming `context`.
public func writeAll(_ fd: Int32, _ bytes: [UInt8], context: @autoclosure () -> String) throws(SystemError) {
    var offset = 0
    while offset < bytes.count {
        let written = try SystemCall.retrying("write", context()) {
            bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
        // write(2) writes at least one byte of a non-empty buffer, or fails: this only
        // keeps a kernel that does neither from looping here for ever.
        guard written > 0 else { throw SystemError("write", errno: EIO, context: context()) }
        offset += written
    }
}

/// Writes all of `text` to `fd`. False when a write failed (EPIPE: nobody reads any more).
@discardableResult
public func writeAll(_ fd: Int32, _ text: String) -> Bool {
    (try? writeAll(fd, Array(text.utf8), context: "fd \(fd)")) != nil
}

/// The process environment as a dictionary (without Foundation).
public func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        entry += 1
    }
    return result
}

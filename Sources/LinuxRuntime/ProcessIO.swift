import Glibc

/// Writes all of `text` to `fd`, retrying short writes (no stdio buffering, so lines
/// reach a pipe at once). False when a write failed (EPIPE: nobody reads any more).
@discardableResult
public func writeAll(_ fd: Int32, _ text: String) -> Bool {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = try? SystemCall.retrying("write") { bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        guard let written, written > 0 else { return false }
        bytes = bytes.dropFirst(written)
    }
    return true
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

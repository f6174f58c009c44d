#if canImport(Glibc)
import Glibc
#endif
import LinuxRuntime

// Swift Testing finds the running test through task-local state, which a raw
// pthread (NamespaceThread) does not carry: an #expect failing there is recorded
// against «unknown» and the test itself still passes. So closures that run on
// another thread only return what they observed, or throw; the test thread checks.

/// The error `body` throws, or nil.
public func caught(_ body: () throws -> Void) -> (any Error)? {
    do { try body(); return nil } catch { return error }
}

/// Throws a SystemError naming `call` unless `succeeded`.
public func check(_ succeeded: Bool, _ call: String, _ context: @autoclosure () -> String = "") throws {
    guard succeeded else { throw SystemError.lastError(call, context()) }
}

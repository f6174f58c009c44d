#if canImport(Glibc)
import Glibc
#endif

/// The one way this project makes a system call that can fail: the call is made again
/// when a signal interrupted it (EINTR), and any other failure becomes a `SystemError`
/// naming the call, what it was applied to and errno (the shape of swift-system's
/// `valueOrErrno(retryOnInterrupt:)`).
///
///     let count = try SystemCall.retrying("recv", "simulated kernel") { recv(fd, base, size, 0) }
///
/// Expected failures (EAGAIN on a non-blocking socket) are caught by errno:
/// `catch where error.errno == EAGAIN`. The context is formatted only on failure, so a
/// hot path that expects EAGAIN passes a stored string, not an interpolation.
///
/// Not for close(2) (Linux frees the descriptor even when close reports EINTR; a
/// second close could close someone else's) nor for connect(2) (after EINTR the
/// connection goes on; a second connect fails with EALREADY).
public enum SystemCall {
    /// Calls `body` until it does not fail with EINTR. Returns its result when it is
    /// not negative; throws errno as a `SystemError` otherwise.
    @inlinable @discardableResult
    public static func retrying<Result: FixedWidthInteger>(
        _ call: String, _ context: @autoclosure () -> String = "", _ body: () -> Result
    ) throws(SystemError) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code != EINTR { throw SystemError(call, errno: code, context: context()) }
        }
    }
}

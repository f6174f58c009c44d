#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import LinuxRuntime
import NetworkTestSupport
import Synchronization
import Testing

@Suite struct SystemCallTests {
    /// What the reading thread did: its id (for pthread_kill) and the errno of each failed attempt.
    final class ReaderState: Sendable {
        let shared = Mutex<(thread: pthread_t?, failures: [Int32])>((nil, []))
        var failures: [Int32] { shared.withLock { $0.failures } }
    }

    /// A signal whose handler is installed without SA_RESTART makes a blocking read fail
    /// with EINTR; the helper reads again and returns the byte written afterwards.
    @Test func aReadInterruptedByASignalIsMadeAgain() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0   // no SA_RESTART: the kernel does not resume the read itself
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        try check(sigaction(SIGUSR2, &action, &previous) == 0, "sigaction")
        defer { sigaction(SIGUSR2, &previous, nil) }
        var pipeFDs: [Int32] = [0, 0]
        try check(pipe(&pipeFDs) == 0, "pipe")
        defer { pipeFDs.forEach { _ = close($0) } }

        let state = ReaderState()
        let writer = pipeFDs[1]
        // Signals the reader until it has seen EINTR once, then gives it a byte.
        let signaller = Thread {
            let deadline = MonotonicClock.nanoseconds() + 5_000_000_000
            while state.failures.isEmpty, MonotonicClock.nanoseconds() < deadline {
                if let reader = state.shared.withLock({ $0.thread }) { pthread_kill(reader, SIGUSR2) }
                usleep(1000)
            }
            var byte: UInt8 = 42
            _ = write(writer, &byte, 1)
        }
        signaller.start()

        let (count, byte) = try NamespaceThread.runOnFreshThread { () throws -> (Int, UInt8) in
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            sigaddset(&unblocked, SIGUSR2)
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
            state.shared.withLock { $0.thread = pthread_self() }
            var byte: UInt8 = 0
            let count = try SystemCall.retrying("read", "test pipe") {
                let result = read(pipeFDs[0], &byte, 1)
                if result < 0 {
                    let failure = errno
                    state.shared.withLock { $0.failures.append(failure) }
                    errno = failure
                }
                return result
            }
            state.shared.withLock { $0.thread = nil }
            return (count, byte)
        }
        while !signaller.isFinished { usleep(1000) }
        #expect(state.failures.first == EINTR, "the read was never interrupted: \(state.failures)")
        #expect(state.failures.allSatisfy { $0 == EINTR })
        #expect(count == 1 && byte == 42)
    }

    @Test func anyOtherFailureIsThrownWithTheCallTheContextAndErrno() {
        var byte: UInt8 = 0
        var attempts = 0
        #expect(throws: SystemError("read", errno: EBADF, context: "a closed descriptor")) {
            try SystemCall.retrying("read", "a closed descriptor") {
                attempts += 1
                return read(-1, &byte, 1)
            }
        }
        #expect(attempts == 1)
    }

    @Test func aNonNegativeResultIsReturned() throws {
        #expect(try SystemCall.retrying("getpid") { getpid() } == getpid())
    }
}

@Suite struct UnixSocketAddressTests {
    @Test func aPathTooLongIsAnErrorNamingThePath() {
        let path = "/tmp/" + String(repeating: "d", count: 100) + "/control.sock"
        let error = #expect(throws: SystemError.self) { try UnixSocketAddress(path: path) }
        #expect(error?.errno == ENAMETOOLONG)
        #expect(error?.context.contains(path) == true, "\(String(describing: error))")
        #expect(error?.description.contains("\(path.utf8.count) bytes long; a Unix socket path has at most 107") == true,
                "\(String(describing: error))")
    }

    @Test func theLongestPathThatFitsWorks() throws {
        let directory = "/tmp/jsa-\(getpid())"
        try check(mkdir(directory, 0o700) == 0, "mkdir", directory)
        defer { rmdir(directory) }
        let path = directory + "/" + String(repeating: "s", count: UnixSocketAddress.maxPathBytes - directory.utf8.count - 1)
        #expect(path.utf8.count == 107)
        let address = try UnixSocketAddress(path: path)
        let listener = try SocketCalls.unixSocket(SOCK_STREAM, context: path)
        defer { close(listener) }
        try SocketCalls.bind(listener, to: address)
        defer { unlink(path) }
        try check(listen(listener, 1) == 0, "listen", path)
        let client = try SocketCalls.unixSocket(SOCK_STREAM, context: path)
        defer { close(client) }
        try SocketCalls.connect(client, to: address)
        #expect(address.description == path)
    }

    @Test func emptyAndNULPathsAreRefused() {
        #expect(throws: SystemError("sockaddr_un", errno: EINVAL, context: "an empty path")) {
            try UnixSocketAddress(path: "")
        }
        #expect((#expect(throws: SystemError.self) { try UnixSocketAddress(path: "/tmp/a\u{0}b") })?.errno == EINVAL)
    }

    @Test func anAbstractNameReachesItsListenerWithoutAFile() throws {
        let name = "joold-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let address = try UnixSocketAddress(abstractName: name)
        #expect(address.description == "@" + name)
        let receiver = try SocketCalls.unixSocket(SOCK_DGRAM, context: address.description)
        defer { close(receiver) }
        try SocketCalls.bind(receiver, to: address)
        let sender = try SocketCalls.unixSocket(SOCK_DGRAM, context: address.description)
        defer { close(sender) }
        let sent = address.withSockAddr { target, length in
            "READY=1".withCString { sendto(sender, $0, 7, 0, target, length) }
        }
        #expect(sent == 7)
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try SystemCall.retrying("recv") { recv(receiver, &buffer, buffer.count, Int32(MSG_DONTWAIT)) }
        #expect(String(decoding: buffer[..<count], as: UTF8.self) == "READY=1")
        // The kernel matches abstract names byte for byte: a longer name is another socket.
        let other = try UnixSocketAddress(abstractName: name + "x")
        let refused = other.withSockAddr { target, length in sendto(sender, "x", 1, 0, target, length) }
        #expect(refused == -1 && errno == ECONNREFUSED)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import CShim

extension EventLoop {
    /// The signals a worker answers: stop (SIGTERM, SIGINT) and reload/resync (SIGHUP).
    public static let controlSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Delivers `signals` to `handler` through a signalfd instead of asynchronous
    /// signal handlers. The signals are blocked in the calling thread first (which
    /// must be the loop's thread); threads created afterwards inherit the mask.
    /// A process-directed signal reaches the signalfd only if every thread blocks
    /// it, so call this before starting any other thread.
    public func handleSignals(_ signals: [Int32], _ handler: @escaping (Int32) throws -> Void) throws(SystemError) {
        assertOwnerThread()
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in signals { sigaddset(&mask, signal) }
        let names = signals.map(signalName).joined(separator: ",")

        let status = pthread_sigmask(SIG_BLOCK, &mask, nil)
        guard status == 0 else { throw SystemError("pthread_sigmask(SIG_BLOCK)", errno: status, context: names) }
        let fd = cshim_signalfd_create(&mask)
        guard fd >= 0 else { throw SystemError.lastError("signalfd", names) }

        let source = Source(fd: fd, name: "signals \(names)", ownsDescriptor: true) {
            var signal: UInt32 = 0
            var sender: Int32 = 0
            while true {
                let result = try SystemCall.retrying("read(signalfd)", names) { cshim_signalfd_read(fd, &signal, &sender) }
                if result == 0 { return }   // nothing pending (EAGAIN)
                try handler(Int32(signal))
            }
        }
        do {
            _ = try addSource(source)
        } catch {
            close(fd)
            throw error
        }
    }
}

/// "SIGHUP" for logs; the number for signals without a short name here.
public func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGTERM: return "SIGTERM"
    case SIGINT: return "SIGINT"
    case SIGHUP: return "SIGHUP"
    case SIGUSR1: return "SIGUSR1"
    case SIGUSR2: return "SIGUSR2"
    case SIGCHLD: return "SIGCHLD"
    default: return "signal \(signal)"
    }
}
